import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobsOfferedIn } from '../../../coordinator/store/dispatch.js';
import type { Store } from '../../../coordinator/store/store.js';
import type { Party } from '../../../coordinator/store/parties.js';
import type { Status } from '../../../shared/status.js';
import { DAY, T0, acceptBundle, enrolAgent, enrolMaintainer, openEmbargo, tempStore } from './helpers.js';

const policy = { leaseMs: 1_000, errorRetries: 1, queueTimeoutMs: DAY, lostAfterMs: 10_000 };

function submitResult(store: Store, agent: Party, job: { jobId: string; attempt: number }, status: Status, now = T0 + 10) {
  return store.results.ingest({ agent, jobId: job.jobId, attempt: job.attempt, resultId: `${job.jobId}-${job.attempt}`, signed: new Uint8Array([9]), status, stages: [{ name: 'build', status }], sealedLogs: new Uint8Array([7]) }, now);
}

test('one job per eligible recipient × declared tree the bundle targets; none for others', async (t) => {
  const store = await tempStore(t, { policy });
  const alice = enrolAgent(store, 'alice', { trees: ['linux-6.1.y', 'linux-6.6.y'] });
  const bob = enrolAgent(store, 'bob', { trees: ['linux-6.6.y'] });
  const carol = enrolAgent(store, 'carol', { trees: ['linux-6.1.y'] });
  const outsider = enrolAgent(store, 'outsider');
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice,bob,carol');
  const bundle = acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice, bob, outsider], trees: ['linux-6.1.y', 'linux-6.6.y'] });
  const jobs = store.jobs.byBundle(bundle).map((job) => `${job.agentName}:${job.tree}`);
  assert.deepEqual(jobs, ['alice:linux-6.1.y', 'alice:linux-6.6.y', 'bob:linux-6.6.y'], 'carol has no stanza, outsider is not eligible');
  assert.equal(store.bundles.rewrap(bundle, { stanzas: [{ recipient: 'carol', stanza: new Uint8Array([3]) }], actor: m, now: T0 + 1 }).length, 1);
  assert.equal(store.bundles.rewrap(bundle, { stanzas: [{ recipient: 'carol', stanza: new Uint8Array([3]) }], actor: m, now: T0 + 2 }).length, 0, 'rewrap is idempotent');
  assert.deepEqual(store.bundles.stanzaFor(bundle, carol.id), new Uint8Array([3]));
  assert.throws(() => acceptBundle(store, { embargo: 'CVE-1', submitter: alice, agents: [] }), { code: 'BUNDLE_INVALID', message: /not a maintainer/ });
});

test('offers on connect respect the declared concurrency and reach only that agent', async (t) => {
  const store = await tempStore(t, { policy });
  const alice = enrolAgent(store, 'alice', { concurrency: 2 });
  const bob = enrolAgent(store, 'bob', { concurrency: 1 });
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice,bob');
  for (let i = 0; i < 3; i++) acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice, bob] });
  const offers = store.dispatch.offerNext(alice, T0);
  assert.equal(offers.length, 2);
  assert.deepEqual(offers[0]!.stanza, new Uint8Array([alice.id]));
  assert.equal(offers[0]!.embargo, 'CVE-1');
  assert.equal(store.dispatch.offerNext(alice, T0).length, 0, 'full');
  assert.deepEqual(store.dispatch.pendingOffers(alice, T0).map((o) => o.jobId), offers.map((o) => o.jobId), 're-sent on reconnect');
  assert.equal(store.dispatch.offerNext(bob, T0).length, 1);
  store.dispatch.accept(alice, { ...offers[0]!, now: T0 + 1 });
  assert.throws(() => store.dispatch.accept(bob, { ...offers[1]!, now: T0 + 1 }), { code: 'JOB_NOT_YOURS' });
  submitResult(store, alice, offers[0]!, 'PASS');
  assert.equal(store.dispatch.offerNext(alice, T0 + 20).length, 1, 'a finished job frees a slot');
  const offered = [...store.audit.rows()].flatMap(jobsOfferedIn);
  assert.equal(offered.length, 4, 'every offer is audited');
});

test('accepting a bundle returns the agents given a job, as read then, for its offers; accepting again gives none', async (t) => {
  const store = await tempStore(t, { policy });
  const alice = enrolAgent(store, 'alice', { trees: ['linux-6.1.y', 'linux-6.6.y'] });
  const bob = enrolAgent(store, 'bob', { trees: ['linux-6.6.y'] });
  const outsider = enrolAgent(store, 'outsider');
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice,bob');
  const id = 'a'.repeat(32);
  const stanzas = [alice, bob, outsider].map((agent) => ({ recipient: agent.name, stanza: new Uint8Array([agent.id]) }));
  store.bundles.create({ id, embargo: 'CVE-1', submitter: m, header: new Uint8Array([1]), trees: ['linux-6.1.y'], workloads: [], payloadBytes: 1, stanzas }, T0);
  const accepted = store.bundles.accept(id, T0);
  assert.deepEqual(accepted.jobs.map((job) => job.agentName), ['alice']);
  assert.deepEqual(accepted.agents.map((agent) => [agent.name, agent.declaration?.concurrency]), [['alice', 2]], 'bob declares no targeted tree, outsider is no tester');
  assert.deepEqual(store.bundles.accept(id, T0 + 1).agents, []);
});

test('ERROR is retried up to the limit and FAIL is not (THREAT 19); resent results count once', async (t) => {
  const store = await tempStore(t, { policy });
  const alice = enrolAgent(store, 'alice', { concurrency: 4 });
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice');
  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  const [first, second] = store.dispatch.offerNext(alice, T0);
  for (const offer of [first!, second!]) store.dispatch.accept(alice, { ...offer, now: T0 });
  assert.equal(submitResult(store, alice, first!, 'ERROR').outcome, 'accepted');
  assert.equal(store.jobs.require(first!.jobId).state, 'queued');
  assert.equal(store.jobs.require(first!.jobId).attempt, 2);
  const retry = store.dispatch.offerNext(alice, T0 + 20);
  assert.deepEqual(retry.map((o) => [o.jobId, o.attempt]), [[first!.jobId, 2]]);
  store.dispatch.accept(alice, { ...retry[0]!, now: T0 + 20 });
  submitResult(store, alice, retry[0]!, 'ERROR');
  assert.deepEqual([store.jobs.require(first!.jobId).state, store.jobs.require(first!.jobId).status], ['done', 'ERROR'], 'retries spent');
  assert.equal(submitResult(store, alice, second!, 'FAIL').job.state, 'done');
  const resent = submitResult(store, alice, second!, 'FAIL');
  assert.deepEqual([resent.outcome, resent.resultId], ['duplicate', `${second!.jobId}-1`]);
  assert.equal(store.results.forJob(second!.jobId).length, 1);
  assert.equal(store.results.forJob(first!.jobId).length, 2, 'both ERROR attempts stored');
  assert.equal([...store.audit.rows()].filter((row) => row.action === 'result.accepted').length, 3);
});

test('lapsed leases are re-offered to the returning agent, then lost; unstarted jobs time out as MISS', async (t) => {
  const store = await tempStore(t, { policy });
  const alice = enrolAgent(store, 'alice', { concurrency: 1 });
  const bob = enrolAgent(store, 'bob', { concurrency: 1 });
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice,bob');
  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice, bob] });
  const [offer] = store.dispatch.offerNext(alice, T0);
  store.dispatch.accept(alice, { ...offer!, now: T0 });
  assert.equal(store.dispatch.heartbeat(alice, { runningJobIds: [offer!.jobId, 'f'.repeat(32)], now: T0 + 500 }).length, 1);
  assert.deepEqual(store.jobs.expiredLeases(T0 + 1_499), []);
  assert.equal(store.jobs.expiredLeases(T0 + 1_500).length, 1);
  assert.deepEqual(store.dispatch.sweep(T0 + 1_500).map((job) => job.state), ['queued']);
  const again = store.dispatch.offerNext(alice, T0 + 2_000);
  assert.deepEqual(again.map((o) => [o.jobId, o.attempt]), [[offer!.jobId, 1]], 'same job, same attempt');
  assert.deepEqual(store.dispatch.sweep(T0 + 1_500 + 10_000).map((job) => [job.agentName, job.state, job.status]), [['alice', 'lost', 'MISS']]);
  assert.deepEqual(store.dispatch.sweep(T0 + DAY).map((job) => [job.agentName, job.state]), [['bob', 'miss']]);
  assert.equal(submitResult(store, alice, again[0]!, 'PASS', T0 + DAY).outcome, 'accepted', 'a late result still counts');
});

test('revocation cancels the agent\'s open jobs, offers it nothing, and a result after cancel is stale', async (t) => {
  const store = await tempStore(t, { policy });
  const alice = enrolAgent(store, 'alice');
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice');
  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  const [offer] = store.dispatch.offerNext(alice, T0);
  store.dispatch.accept(alice, { ...offer!, now: T0 });
  const revocation = store.revoke('alice', { actor: 'admin', now: T0 + 1 });
  assert.deepEqual(revocation.cancelled.map((job) => [job.state, job.reason]), [['cancelled', 'agent revoked']]);
  assert.deepEqual(store.revokedParties().map((p) => p.name), ['alice']);
  const revoked = store.parties.require('alice');
  assert.deepEqual(store.dispatch.offerNext(revoked, T0 + 2), []);
  assert.equal(submitResult(store, revoked, offer!, 'PASS').outcome, 'stale');
  assert.equal(store.results.forJob(offer!.jobId).length, 0);
  const [notice] = store.jobs.pendingCancels();
  assert.deepEqual([notice!.agentName, notice!.reason], ['alice', 'agent revoked']);
  store.jobs.cancelDelivered(notice!.jobId, T0 + 3);
  assert.deepEqual(store.jobs.pendingCancels(), []);
  assert.throws(() => store.revoke('alice', { actor: 'admin', now: T0 + 4 }), { code: 'PARTY_REVOKED' });
});
