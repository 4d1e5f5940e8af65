import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DATABASE_FILE_NAME, openDatabase, schemaVersion } from '../../../coordinator/store/database.js';
import { MIGRATIONS } from '../../../coordinator/store/migrations.js';
import { Store } from '../../../coordinator/store/store.js';
import { enrolAgent, tempDir } from './helpers.js';

test('opening twice keeps the schema version and the data (migrations are idempotent)', async (t) => {
  const dir = await tempDir(t);
  const first = Store.open(dir, { create: true });
  enrolAgent(first, 'alice');
  first.close();
  const again = Store.open(dir);
  t.after(() => again.close());
  assert.equal(schemaVersion(again.db), MIGRATIONS.length);
  assert.equal(again.parties.byName('alice')?.role, 'agent');
});

test('WAL, FULL sync, foreign keys, busy time-out, and an owner-only file', async (t) => {
  const dir = await tempDir(t);
  const store = Store.open(dir, { create: true });
  t.after(() => store.close());
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
  assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
  assert.ok((store.db.pragma('busy_timeout', { simple: true }) as number) >= 1_000);
  assert.equal((await stat(join(dir, DATABASE_FILE_NAME))).mode & 0o777, 0o600);
});

test('a missing database and a newer schema are refused with what to do', async (t) => {
  const dir = await tempDir(t);
  assert.throws(() => Store.open(dir), { code: 'STORE_MISSING', message: /coordinator init/ });
  const db = openDatabase(join(dir, DATABASE_FILE_NAME), { create: true });
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  assert.throws(() => Store.open(dir), { code: 'STORE_TOO_NEW', message: /upgrade Darkroom/ });
});
