import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coordinatorStatus } from '../../../coordinator/admin/status.js';
import { T0, acceptBundle, enrolAgent, enrolMaintainer, openEmbargo, tempStore } from './helpers.js';

test('connected state, re-declaration and lookups by key feed status', async (t) => {
  const store = await tempStore(t);
  const alice = enrolAgent(store, 'alice', { trees: ['linux-6.1.y'] });
  assert.equal(store.parties.bySignKey(alice.signKey)?.name, 'alice');
  store.parties.connected(alice.id, T0 + 5);
  store.parties.declare(alice.id, { profile: {}, hardwareClass: 'arm64-ampere', trees: ['linux-6.6.y', 'linux-6.6.y'], workloads: [], concurrency: 3 });
  let agent = coordinatorStatus(store, T0 + 6).agents[0]!;
  assert.deepEqual([agent.connected, agent.connectedSince, agent.hardwareClass, agent.trees, agent.concurrency], [true, new Date(T0 + 5).toISOString(), 'arm64-ampere', ['linux-6.6.y'], 3]);
  store.parties.disconnected(alice.id, T0 + 7);
  agent = coordinatorStatus(store, T0 + 8).agents[0]!;
  assert.deepEqual([agent.connected, agent.lastSeen], [false, new Date(T0 + 7).toISOString()]);
  store.parties.connected(alice.id, T0 + 9);
  assert.equal(store.parties.clearConnected(), 1, 'a restarted server starts with nobody connected');
  assert.throws(() => store.parties.declare(alice.id, { profile: {}, hardwareClass: 'x', trees: [], workloads: [], concurrency: 0 }), { code: 'DECLARATION_INVALID', message: /concurrency 0/ });
});

test('progress renews the lease and records the stage; a decline ends the offer as MISS', async (t) => {
  const store = await tempStore(t);
  const alice = enrolAgent(store, 'alice', { concurrency: 2 });
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice');
  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  const [first, second] = store.dispatch.offerNext(alice, T0);
  store.dispatch.accept(alice, { ...first!, now: T0 });
  const progressed = store.dispatch.progress(alice, { jobId: first!.jobId, attempt: 1, stage: 'build', now: T0 + 30_000 });
  assert.deepEqual([progressed.stage, progressed.leaseUntil], ['build', T0 + 30_000 + store.jobs.policy.leaseMs]);
  assert.equal(store.jobs.require(first!.jobId).stage, 'build');
  assert.throws(() => store.dispatch.progress(alice, { jobId: second!.jobId, attempt: 1, stage: 'build', now: T0 }), { code: 'JOB_UNKNOWN' });
  const declined = store.dispatch.decline(alice, { jobId: second!.jobId, attempt: 1, reason: 'tree not checked out', now: T0 });
  assert.deepEqual([declined.state, declined.status], ['miss', 'MISS']);
  assert.deepEqual(store.jobs.countsByState(), { queued: 0, offered: 0, running: 1, done: 0, lost: 0, cancelled: 0, miss: 1 });
});

test('subscriptions: maintainers of the embargo only, one row per target, webhook checked', async (t) => {
  const store = await tempStore(t);
  enrolAgent(store, 'alice');
  const m = enrolMaintainer(store, 'm');
  const outsider = enrolMaintainer(store, 'outsider');
  openEmbargo(store, 'CVE-1', 'alice');
  store.subscriptions.add(m, { embargo: 'CVE-1' }, { now: T0 });
  const again = store.subscriptions.add(m, { embargo: 'CVE-1' }, { webhook: 'https://hooks.example.org/dr', now: T0 });
  store.subscriptions.add(m, { tree: 'linux-6.1.y' }, { now: T0 });
  assert.deepEqual(store.subscriptions.forEmbargoOrTree('CVE-1', null).map((s) => [s.partyName, s.webhook]), [['m', 'https://hooks.example.org/dr']]);
  assert.deepEqual(store.subscriptions.forEmbargoOrTree('CVE-2', 'linux-6.1.y').map((s) => [s.partyName, s.tree]), [['m', 'linux-6.1.y']]);
  assert.deepEqual(store.subscriptions.forEmbargoOrTree('CVE-1', 'linux-6.1.y').map((s) => s.embargo ?? s.tree).sort(), ['CVE-1', 'linux-6.1.y']);
  assert.throws(() => store.subscriptions.add(outsider, { embargo: 'CVE-1' }, { now: T0 }), { code: 'SUBSCRIPTION_INVALID' });
  assert.throws(() => store.subscriptions.add(m, { tree: 'linux-6.1.y' }, { webhook: 'file:///etc/passwd', now: T0 }), { code: 'SUBSCRIPTION_INVALID', message: /file:/ });
  assert.ok(store.subscriptions.remove(m, { subscriptionId: again.id, now: T0 }));
  assert.deepEqual(store.subscriptions.ofParty(m).map((s) => s.tree), ['linux-6.1.y']);
});
