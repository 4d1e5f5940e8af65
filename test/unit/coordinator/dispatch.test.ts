import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentsNamed, planOffers } from '../../../coordinator/server/offers.js';
import { jobsOfferedIn } from '../../../coordinator/store/dispatch.js';
import { T0, acceptBundle, enrolAgent, enrolMaintainer, openEmbargo, tempStore } from './helpers.js';

test('set-wise offers: each agent gets its oldest queued jobs up to its room, by one query for all', async (t) => {
  const store = await tempStore(t);
  const alice = enrolAgent(store, 'alice', { concurrency: 2 });
  const bob = enrolAgent(store, 'bob', { concurrency: 1 });
  const carol = enrolAgent(store, 'carol', { concurrency: 5 });
  const dave = enrolAgent(store, 'dave', { concurrency: 5 });
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice,bob,carol,dave');
  const [first] = store.dispatch.offerNext(bob, T0);
  assert.equal(first, undefined, 'nothing queued yet');
  const bundles = [0, 1, 2].map(() => acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice, bob, carol, dave] }));
  assert.equal(store.dispatch.offerNext(bob, T0).length, 1, 'bob is full before the set-wise round');
  store.revoke('dave', { actor: 'admin', now: T0 });
  const queuedOf = (name: string) => bundles.flatMap((bundle) => store.jobs.byBundle(bundle)).filter((job) => job.agentName === name && job.state === 'queued');
  const aliceQueued = queuedOf('alice').sort((a, b) => a.queuedAt - b.queuedAt || a.id.localeCompare(b.id));
  const auditBefore = [...store.audit.rows()].length;

  const fresh = store.dispatch.offerNextMany([alice, bob, carol, { ...dave, revokedAt: T0 }], T0 + 1);
  assert.deepEqual(fresh.get(alice.id)!.map((offer) => offer.jobId), aliceQueued.slice(0, 2).map((job) => job.id), 'the two oldest');
  assert.equal(fresh.get(bob.id), undefined, 'no room');
  assert.equal(fresh.get(carol.id)!.length, 3, 'all three, room for five');
  assert.equal(fresh.get(dave.id), undefined, 'revoked');
  assert.deepEqual(fresh.get(carol.id)!.map((offer) => offer.stanza), [0, 1, 2].map(() => new Uint8Array([carol.id])));

  const rows = [...store.audit.rows()].slice(auditBefore);
  assert.deepEqual(rows.map((row) => row.action), ['jobs.offered', 'jobs.offered', 'jobs.offered'], 'one row per bundle');
  assert.equal(rows.flatMap(jobsOfferedIn).length, 5);
  const pending = store.dispatch.pendingOffersMany([alice, bob, carol], T0 + 2);
  assert.deepEqual([alice, bob, carol].map((agent) => pending.get(agent.id)?.length ?? 0), [2, 1, 3]);
  assert.equal(store.dispatch.offerNextMany([alice, bob, carol], T0 + 2).size, 0, 'everyone full or drained');
});

test('a plan names each agent once with its unanswered offers, new offers and queued cancels', async (t) => {
  const store = await tempStore(t);
  const alice = enrolAgent(store, 'alice', { concurrency: 1 });
  const bob = enrolAgent(store, 'bob', { concurrency: 2 });
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice,bob');
  openEmbargo(store, 'CVE-2', 'bob');
  acceptBundle(store, { embargo: 'CVE-2', submitter: m, agents: [bob] });
  const [withdrawnOffer] = store.dispatch.offerNext(bob, T0);
  store.withdrawEmbargo('CVE-2', { actor: 'admin', now: T0 + 1 });
  const bundle = acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice, bob] });
  const [unanswered] = store.dispatch.offerNext(alice, T0 + 2);

  const plans = store.write(() => planOffers(store, { agents: agentsNamed(store, ['bob', 'alice', 'bob', 'nobody', 'm']), now: T0 + 3 }));
  assert.deepEqual(plans.map((plan) => plan.agentName), ['bob', 'alice'], 'in the order asked, once each; no maintainer, no unknown name');
  assert.deepEqual(plans[0]!.cancels.map((notice) => notice.jobId), [withdrawnOffer!.jobId]);
  assert.deepEqual(plans[0]!.offers.map((offer) => [offer.bundleId, offer.tree]), [[bundle, 'linux-6.1.y']]);
  assert.deepEqual(plans[1]!.offers.map((offer) => offer.jobId), [unanswered!.jobId], 'resent, nothing new: alice is full');
  assert.deepEqual(plans[1]!.cancels, []);
  assert.deepEqual(plans[0]!.offers[0]!.maintainers!.map((signer) => signer.name), ['m']);
});
