import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { auditHash } from '../../../coordinator/store/audit.js';
import { verifyAuditChain } from '../../../coordinator/store/audit-verify.js';
import { DATABASE_FILE_NAME, inWrite } from '../../../coordinator/store/database.js';
import { Store } from '../../../coordinator/store/store.js';
import { enrolAgent, enrolMaintainer, openEmbargo, tempDir } from './helpers.js';

/** A store with a handful of audit rows, and a raw connection an attacker would use. */
async function auditedStore(t: TestContext) {
  const dir = await tempDir(t);
  const store = Store.open(dir, { create: true });
  t.after(() => store.close());
  enrolAgent(store, 'alice');
  enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice');
  const raw = new Database(join(dir, DATABASE_FILE_NAME));
  t.after(() => raw.close());
  raw.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
  return { store, raw };
}

test('an intact chain verifies and each change is recorded', async (t) => {
  const { store } = await auditedStore(t);
  const verdict = verifyAuditChain(store.audit.rows());
  assert.equal(verdict.problem, null);
  assert.equal(verdict.checked, 5);
  assert.deepEqual([...store.audit.rows()].map((row) => row.action), ['token.issued', 'party.enrolled', 'token.issued', 'party.enrolled', 'embargo.created']);
  assert.equal(verdict.head, store.audit.head()!.hash);
});

test('the table refuses updates and deletes through SQL', async (t) => {
  const dir = await tempDir(t);
  const store = Store.open(dir, { create: true });
  t.after(() => store.close());
  enrolAgent(store, 'alice');
  assert.throws(() => store.db.prepare("UPDATE audit SET actor = 'x'").run(), /append-only/);
  assert.throws(() => store.db.prepare('DELETE FROM audit').run(), /append-only/);
});

test('an edited row is named (THREAT 16)', async (t) => {
  const { store, raw } = await auditedStore(t);
  raw.prepare("UPDATE audit SET subject = 'mallory' WHERE seq = 2").run();
  const verdict = verifyAuditChain(store.audit.rows());
  assert.deepEqual([verdict.problem?.seq, verdict.problem?.kind, verdict.checked], [2, 'edited', 1]);
  assert.match(verdict.problem!.message, /row 2 .*edited/);
});

test('a deleted row is named as a gap (THREAT 16)', async (t) => {
  const { store, raw } = await auditedStore(t);
  raw.prepare('DELETE FROM audit WHERE seq = 3').run();
  const verdict = verifyAuditChain(store.audit.rows());
  assert.deepEqual([verdict.problem?.seq, verdict.problem?.kind], [3, 'gap']);
  assert.match(verdict.problem!.message, /row 3 is missing/);
});

test('a rewritten row with a recomputed hash breaks the next link; swapped rows read as reordered', async (t) => {
  const { store, raw } = await auditedStore(t);
  const rows = [...store.audit.rows()];
  const forged = { ...rows[1]!, subject: 'mallory' };
  raw.prepare('UPDATE audit SET subject = ?, hash = ? WHERE seq = 2').run('mallory', auditHash(forged.prevHash, forged));
  const relinked = verifyAuditChain(store.audit.rows());
  assert.deepEqual([relinked.problem?.seq, relinked.problem?.kind], [3, 'broken-link']);

  const { store: other, raw: otherRaw } = await auditedStore(t);
  const [, second, third] = [...other.audit.rows()];
  const move = otherRaw.prepare('UPDATE audit SET at_ms = ?, actor = ?, action = ?, subject = ?, details_json = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  move.run(third!.atMs, third!.actor, third!.action, third!.subject, third!.detailsJson, third!.prevHash, third!.hash, 2);
  move.run(second!.atMs, second!.actor, second!.action, second!.subject, second!.detailsJson, second!.prevHash, second!.hash, 3);
  const swapped = verifyAuditChain(other.audit.rows());
  assert.deepEqual([swapped.problem?.seq, swapped.problem?.kind], [2, 'reordered']);
});

test('appends in one transaction chain onto each other, and a rolled-back savepoint leaves no gap', async (t) => {
  const { store } = await auditedStore(t);
  store.write(() => {
    for (let i = 0; i < 3; i++) store.audit.append({ actor: 'coordinator', action: 'jobs.offered', subject: `b${i}`, details: { i } }, 1);
    assert.throws(() => inWrite(store.db, () => {
      store.audit.append({ actor: 'coordinator', action: 'jobs.offered', subject: 'undone', details: {} }, 2);
      throw new Error('refused after its audit row');
    }), /refused after its audit row/);
    store.audit.append({ actor: 'coordinator', action: 'jobs.offered', subject: 'after', details: {} }, 3);
  });
  store.audit.append({ actor: 'admin', action: 'token.issued', subject: 'next', details: {} }, 4);
  const rows = [...store.audit.rows()];
  assert.deepEqual(rows.slice(-5).map((row) => [row.seq, row.subject]), [[6, 'b0'], [7, 'b1'], [8, 'b2'], [9, 'after'], [10, 'next']]);
  const verdict = verifyAuditChain(store.audit.rows());
  assert.equal(verdict.problem, null);
  assert.equal(verdict.checked, 10);
});

test('a row another connection appends between two transactions is chained onto, not over', async (t) => {
  const { store, raw } = await auditedStore(t);
  store.write(() => store.audit.append({ actor: 'coordinator', action: 'jobs.offered', subject: 'mine', details: {} }, 1));
  const other = Store.open(store.dataDir);
  t.after(() => other.close());
  other.write(() => other.audit.append({ actor: 'admin', action: 'party.revoked', subject: 'theirs', details: {} }, 2));
  store.write(() => store.audit.append({ actor: 'coordinator', action: 'jobs.offered', subject: 'mine again', details: {} }, 3));
  assert.equal(raw.prepare('SELECT count(*) FROM audit').pluck().get(), 8);
  assert.equal(verifyAuditChain(store.audit.rows()).problem, null);
});
