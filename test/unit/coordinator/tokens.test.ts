import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { generateIdentity } from '../../../shared/identity.js';
import { TOKEN_PREFIX, tokenHash } from '../../../coordinator/store/tokens.js';
import { Store } from '../../../coordinator/store/store.js';
import { T0, enrolAgent, tempDir, tempStore } from './helpers.js';

const HOUR = 3_600_000;
const declaration = { profile: {}, hardwareClass: 'x86', trees: ['linux-6.1.y'], workloads: [], concurrency: 1 };

test('a token enrols once; the second use is TOKEN_USED and creates nothing (THREAT 8)', async (t) => {
  const store = await tempStore(t);
  const { token } = store.write(() => store.tokens.issue({ role: 'agent', name: 'alice', groups: ['amd'], ttlMs: HOUR }, T0));
  assert.ok(token.startsWith(TOKEN_PREFIX));
  assert.ok(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').length >= 16, 'at least 128 random bits');
  const party = store.enrol({ token, role: 'agent', keys: generateIdentity(), declaration }, T0 + 1);
  assert.equal(party.name, 'alice');
  assert.deepEqual(party.groups, ['amd']);
  assert.match(party.fingerprint, /^DR1:/);
  assert.throws(() => store.enrol({ token, role: 'agent', keys: generateIdentity(), declaration }, T0 + 2), { code: 'TOKEN_USED' });
  assert.equal(store.parties.list().length, 1);
});

test('the token text is not stored, only its labelled hash', async (t) => {
  const store = await tempStore(t);
  const { token } = store.write(() => store.tokens.issue({ role: 'maintainer', name: 'mia' }, T0));
  const rows = store.db.prepare('SELECT * FROM tokens').all() as Array<Record<string, unknown>>;
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.hash, tokenHash(token));
  assert.ok(!JSON.stringify(rows).includes(token.slice(TOKEN_PREFIX.length)));
});

test('an expired token is TOKEN_EXPIRED and stays unused', async (t) => {
  const store = await tempStore(t);
  const { token } = store.write(() => store.tokens.issue({ role: 'agent', name: 'alice', ttlMs: HOUR }, T0));
  assert.throws(() => store.enrol({ token, role: 'agent', keys: generateIdentity(), declaration }, T0 + HOUR), { code: 'TOKEN_EXPIRED' });
  assert.equal(store.parties.byName('alice'), null);
});

test('unknown and guessed tokens are TOKEN_UNKNOWN (THREAT 8)', async (t) => {
  const store = await tempStore(t);
  const { token } = store.write(() => store.tokens.issue({ role: 'agent', name: 'alice' }, T0));
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  for (const guess of [`${token.slice(0, -1)}${last}`, `${TOKEN_PREFIX}AAAAAAAAAAAAAAAAAAAAAAAAAAA`, '', 'drt1_']) {
    assert.throws(() => store.enrol({ token: guess, role: 'agent', keys: generateIdentity(), declaration }, T0), { code: 'TOKEN_UNKNOWN' }, guess);
  }
  assert.equal(store.parties.list().length, 0);
});

test("a token is refused for the other role, and a revoked name's unused tokens are voided", async (t) => {
  const store = await tempStore(t);
  const { token } = store.write(() => store.tokens.issue({ role: 'maintainer', name: 'mia' }, T0));
  assert.throws(() => store.enrol({ token, role: 'agent', keys: generateIdentity(), declaration }, T0), { code: 'TOKEN_WRONG_ROLE' });
  const revocation = store.revoke('mia', { actor: 'admin', now: T0 });
  assert.equal(revocation.voidedTokens, 1);
  assert.throws(() => store.enrol({ token, role: 'maintainer', keys: generateIdentity() }, T0), { code: 'TOKEN_USED' });
});

test('a name enrolled with other keys is refused; the same keys retrying get the same party', async (t) => {
  const store = await tempStore(t);
  const keys = generateIdentity();
  const first = store.write(() => store.tokens.issue({ role: 'agent', name: 'alice' }, T0));
  const second = store.write(() => store.tokens.issue({ role: 'agent', name: 'alice' }, T0));
  const party = store.enrol({ token: first.token, role: 'agent', keys, declaration }, T0);
  assert.equal(store.enrol({ token: first.token, role: 'agent', keys, declaration }, T0).id, party.id, 'lost EnrollResult retried');
  assert.throws(() => store.enrol({ token: second.token, role: 'agent', keys: generateIdentity(), declaration }, T0), { code: 'PARTY_EXISTS' });
  assert.equal(store.tokens.enrolledBy(second.token), null, 'the failed enrolment rolled back its token use');
  assert.throws(() => store.write(() => store.tokens.issue({ role: 'agent', name: 'alice' }, T0)), { code: 'PARTY_EXISTS' });
  enrolAgent(store, 'bob');
  assert.throws(() => store.enrol({ token: second.token, role: 'agent', keys, declaration }, T0), { code: 'PARTY_EXISTS' });
});

const CONSUMER = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { Store } = await import(workerData.storeUrl);
  const { generateIdentity } = await import(workerData.identityUrl);
  const store = Store.open(workerData.dir);
  const keys = generateIdentity();
  const flag = new Int32Array(workerData.barrier);
  Atomics.add(flag, 1, 1);
  Atomics.wait(flag, 0, 0);
  try {
    const party = store.enrol({ token: workerData.token, role: 'agent', keys, declaration: workerData.declaration }, workerData.now);
    parentPort.postMessage({ ok: party.name });
  } catch (error) {
    parentPort.postMessage({ code: error.code ?? String(error) });
  } finally {
    store.close();
  }
})();
`;

test('two connections consuming one token at once: exactly one wins', async (t) => {
  const dir = await tempDir(t);
  const setup = Store.open(dir, { create: true });
  const { token } = setup.write(() => setup.tokens.issue({ role: 'agent', name: 'alice' }, T0));
  setup.close();
  const barrier = new SharedArrayBuffer(8);
  const flag = new Int32Array(barrier);
  const workerData = {
    dir,
    token,
    barrier,
    now: T0 + 1,
    declaration,
    storeUrl: new URL('../../../coordinator/store/store.js', import.meta.url).href,
    identityUrl: new URL('../../../shared/identity.js', import.meta.url).href,
  };
  const outcomes = [0, 1].map(() => {
    const worker = new Worker(CONSUMER, { eval: true, workerData });
    return new Promise<{ ok?: string; code?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  });
  while (Atomics.load(flag, 1) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const results = await Promise.all(outcomes);
  assert.deepEqual(results.map((r) => r.ok ?? r.code).sort(), ['TOKEN_USED', 'alice']);
  const check = Store.open(dir);
  t.after(() => check.close());
  assert.equal(check.parties.list().length, 1);
});

test('a signing key or a box key another party enrolled with, of either role, is refused with its token unused; the index holds it too', async (t) => {
  const store = await tempStore(t);
  const agent = generateIdentity();
  const maintainer = generateIdentity();
  store.enrol({ token: store.write(() => store.tokens.issue({ role: 'agent', name: 'lab-1' }, T0)).token, role: 'agent', keys: agent, declaration }, T0);
  store.enrol({ token: store.write(() => store.tokens.issue({ role: 'maintainer', name: 'mia' }, T0)).token, role: 'maintainer', keys: maintainer }, T0);
  const stolen = [
    { role: 'agent' as const, keys: { signKey: generateIdentity().signKey, boxKey: agent.boxKey }, key: 'box key' },
    { role: 'agent' as const, keys: { signKey: maintainer.signKey, boxKey: generateIdentity().boxKey }, key: 'signing key' },
    { role: 'maintainer' as const, keys: { signKey: generateIdentity().signKey, boxKey: agent.boxKey }, key: 'box key' },
  ];
  for (const [i, attempt] of stolen.entries()) {
    const { token } = store.write(() => store.tokens.issue({ role: attempt.role, name: `thief-${i}` }, T0));
    assert.throws(() => store.enrol({ token, role: attempt.role, keys: attempt.keys, ...(attempt.role === 'agent' ? { declaration } : {}) }, T0), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KEY_TAKEN');
      assert.equal(error.message, `This ${attempt.key} is already enrolled by another party: make a fresh identity for 'thief-${i}' (move identity.key away) and enrol again with a new token`);
      return true;
    });
    assert.equal(store.tokens.enrolledBy(token), null, 'the refused enrolment left its token unused');
  }
  assert.deepEqual(store.parties.list().map((p) => p.name), ['lab-1', 'mia']);
  assert.throws(() => store.db.prepare('INSERT INTO parties (name, role, sign_key, box_key, fingerprint, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)').run('raw', 'agent', generateIdentity().signKey, agent.boxKey, 'x', T0), /UNIQUE constraint failed: parties\.box_key/);
});
