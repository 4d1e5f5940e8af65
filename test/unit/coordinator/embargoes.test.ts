import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embargoState } from '../../../coordinator/store/embargoes.js';
import { parseMembers } from '../../../coordinator/store/members.js';
import { DAY, T0, acceptBundle, enrolAgent, enrolMaintainer, openEmbargo, tempStore } from './helpers.js';

test('eligible testers: named agents and members of named @groups, never revoked ones', async (t) => {
  const store = await tempStore(t);
  enrolAgent(store, 'alice', { groups: ['amd-lab'] });
  enrolAgent(store, 'bob', { groups: ['amd-lab', 'arm'] });
  enrolAgent(store, 'carol', { groups: ['intel'] });
  enrolAgent(store, 'dave');
  const m = enrolMaintainer(store, 'm');
  enrolMaintainer(store, 'other', ['sec']);
  openEmbargo(store, 'CVE-1', '@amd-lab,dave', 'm,@sec');
  const embargo = store.embargoes.require('CVE-1');
  assert.deepEqual(store.embargoes.eligibleTesters(embargo).map((p) => p.name), ['alice', 'bob', 'dave']);
  assert.deepEqual(store.embargoes.maintainersOf(embargo).map((p) => p.name), ['m', 'other']);
  assert.ok(store.embargoes.isMaintainerOf(m, embargo));
  assert.ok(!store.embargoes.isMaintainerOf(store.parties.require('carol'), embargo));
  store.revoke('bob', { actor: 'admin', now: T0 });
  store.revoke('other', { actor: 'admin', now: T0 });
  assert.deepEqual(store.embargoes.eligibleTesters(embargo).map((p) => p.name), ['alice', 'dave']);
  assert.deepEqual(store.embargoes.maintainersOf(embargo).map((p) => p.name), ['m']);
  assert.ok(!store.embargoes.isMaintainerOf(store.parties.require('other'), embargo));
});

test('validation errors name the bad input', async (t) => {
  const store = await tempStore(t);
  enrolAgent(store, 'alice');
  enrolMaintainer(store, 'm');
  const until = new Date(T0 + DAY).toISOString();
  const create = (name: string, testers: string, maintainers: string, deadline = until) => () =>
    store.write(() => store.embargoes.create({ name, testers, maintainers, until: deadline }, { actor: 'admin', now: T0 }));
  assert.throws(create('CVE-1', 'alice,@bad group', 'm'), { code: 'EMBARGO_INVALID', message: /'@bad group'/ });
  assert.throws(create('CVE-1', 'alice,ghost', 'm'), { code: 'EMBARGO_INVALID', message: /'ghost'.*not enrolled/ });
  assert.throws(create('CVE-1', 'm', 'm'), { code: 'EMBARGO_INVALID', message: /'m'.*maintainer/ });
  assert.throws(create('CVE-1', ' , ', 'm'), { code: 'EMBARGO_INVALID', message: /testers list is empty/ });
  assert.throws(create('CVE-1', 'alice', 'm', 'next tuesday'), { code: 'EMBARGO_INVALID', message: /'next tuesday'/ });
  assert.throws(create('CVE-1', 'alice', 'm', '2029-12-31'), { code: 'EMBARGO_INVALID', message: /'2029-12-31' is not in the future/ });
  assert.throws(create('bad/name', 'alice', 'm'), { code: 'NAME_INVALID', message: /'bad\/name'/ });
  create('CVE-1', 'alice', 'm')();
  assert.throws(create('CVE-1', 'alice', 'm'), { code: 'EMBARGO_EXISTS' });
  assert.deepEqual(parseMembers('a, @g ,a', 'testers'), { names: ['a'], groups: ['g'] });
});

test('a passed deadline is not active; expiry and withdrawal cancel open jobs', async (t) => {
  const store = await tempStore(t);
  const alice = enrolAgent(store, 'alice');
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice');
  openEmbargo(store, 'CVE-2', 'alice');
  const one = store.embargoes.require('CVE-1');
  assert.equal(embargoState(one, T0), 'active');
  assert.equal(embargoState(one, one.untilMs), 'expired');
  acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  acceptBundle(store, { embargo: 'CVE-2', submitter: m, agents: [alice] });
  assert.equal(store.dispatch.offerNext(alice, T0).length, 2);
  const withdrawn = store.withdrawEmbargo('CVE-2', { actor: 'admin', now: T0 + 1 });
  assert.deepEqual(withdrawn.cancelled.map((job) => job.reason), ['embargo withdrawn']);
  assert.throws(() => store.withdrawEmbargo('CVE-2', { actor: 'admin', now: T0 + 2 }), { code: 'EMBARGO_CLOSED' });
  assert.deepEqual(store.expireDue(T0 + 2), []);
  const expired = store.expireDue(one.untilMs);
  assert.deepEqual(expired.map((closure) => [closure.subject.name, closure.cancelled.length]), [['CVE-1', 1]]);
  assert.deepEqual(store.expireDue(one.untilMs + 1), [], 'expiry is recorded once');
  assert.deepEqual(store.closedEmbargoes(one.untilMs).map((e) => e.name).sort(), ['CVE-1', 'CVE-2']);
  assert.equal(store.jobs.pendingCancels(alice.id).length, 2, 'both offered jobs await a Cancel');
  assert.throws(() => acceptBundle(store, { embargo: 'CVE-2', submitter: m, agents: [alice] }), { code: 'EMBARGO_CLOSED' });
});

test('disclosure cancels open jobs, keeps results readable, queues the members\' mail once; at the date it happens by itself', async (t) => {
  const store = await tempStore(t);
  const alice = enrolAgent(store, 'alice');
  const m = enrolMaintainer(store, 'm');
  openEmbargo(store, 'CVE-1', 'alice');
  openEmbargo(store, 'CVE-2', 'alice');
  openEmbargo(store, 'CVE-3', 'alice');
  store.mailSubscriptions.add(m, { all: true }, { address: 'm@example.org', namesEmbargo: false, now: T0 });
  const bundleId = acceptBundle(store, { embargo: 'CVE-1', submitter: m, agents: [alice] });
  assert.equal(store.dispatch.offerNext(alice, T0).length, 1);

  const disclosed = store.discloseEmbargo('CVE-1', { actor: 'admin', now: T0 + 1 });
  assert.deepEqual(disclosed.cancelled.map((job) => job.reason), ['embargo disclosed']);
  assert.equal(embargoState(store.embargoes.require('CVE-1'), T0 + 1), 'disclosed');
  assert.equal(store.jobs.pendingCancels(alice.id).length, 1, 'the agent is told to cancel and wipe, as on withdrawal');
  assert.equal(store.jobs.byBundle(bundleId).length, 1, 'the bundle and its jobs stay readable');
  assert.throws(() => store.discloseEmbargo('CVE-1', { actor: 'admin', now: T0 + 2 }), { code: 'EMBARGO_CLOSED', message: /already disclosed/ });
  store.withdrawEmbargo('CVE-2', { actor: 'admin', now: T0 + 2 });
  assert.throws(() => store.discloseEmbargo('CVE-2', { actor: 'admin', now: T0 + 3 }), { code: 'EMBARGO_CLOSED', message: /withdrawn/ });
  assert.deepEqual(store.mailQueue.due(T0 + 3, 10).map((mail) => [mail.notice.kind, mail.notice.embargo, mail.address]), [
    ['EMBARGO_DISCLOSED', 'CVE-1', 'm@example.org'],
    ['EMBARGO_WITHDRAWN', 'CVE-2', 'm@example.org'],
  ]);
  assert.equal(store.queueMail({ kind: 'EMBARGO_DISCLOSED', embargo: 'CVE-1', atMs: T0 + 4 }, { now: T0 + 4 }), 0, 'the same event is not queued twice');

  const three = store.embargoes.require('CVE-3');
  const due = store.expireDue(three.untilMs);
  assert.deepEqual(due.map((closure) => closure.subject.name), ['CVE-3']);
  assert.equal(embargoState(store.embargoes.require('CVE-3'), three.untilMs), 'disclosed', 'the disclosure date discloses it');
  assert.equal(store.mailQueue.counts().queued, 3);
});

test('maintainers who join an open embargo are told once, with mail only to those who subscribed', async (t) => {
  const store = await tempStore(t);
  enrolAgent(store, 'alice');
  const m = enrolMaintainer(store, 'm', ['sec']);
  enrolMaintainer(store, 'quiet', ['sec']);
  store.mailSubscriptions.add(m, { all: true }, { address: 'm@example.org', namesEmbargo: true, now: T0 });
  openEmbargo(store, 'CVE-1', 'alice', '@sec');
  assert.deepEqual(store.tellNewMaintainers(T0 + 1), [{ embargo: 'CVE-1', maintainer: 'm' }, { embargo: 'CVE-1', maintainer: 'quiet' }]);
  assert.deepEqual(store.tellNewMaintainers(T0 + 2), [], 'told once');
  enrolMaintainer(store, 'late', ['sec']);
  assert.deepEqual(store.tellNewMaintainers(T0 + 3), [{ embargo: 'CVE-1', maintainer: 'late' }]);
  assert.deepEqual(store.mailQueue.due(T0 + 3, 10).map((mail) => [mail.notice.kind, mail.notice.maintainer, mail.address, mail.namesEmbargo]), [['MAINTAINER_ADDED', 'm', 'm@example.org', true]]);
});
