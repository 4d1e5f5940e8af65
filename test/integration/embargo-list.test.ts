// The embargo listing the dashboard reads: a maintainer sees the embargoes they maintain, with
// members, bundles and verdicts, and nothing of the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectAs, declaration, enrol, issueToken, startLab } from '../support/coordinator-lab.js';
import { submitDemo } from '../support/demo-job.js';

test('a maintainer lists the embargoes they maintain, with members and bundles, and no other', async (t) => {
  const lab = await startLab(t);
  const alice = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  const bob = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'bob'))).identity;
  await enrol(lab, 'agent', issueToken(lab, 'agent', 'lab-a', ['testers']), declaration(['ringbuf'], { hardwareClass: 'aarch64/Ampere/Altra' }));
  const until = new Date(Date.now() + 86_400_000).toISOString();
  lab.admin((store) => store.write(() => {
    store.embargoes.create({ name: 'CVE-DEMO', testers: '@testers', maintainers: 'alice', until }, { actor: 'admin:test', now: Date.now() });
    store.embargoes.create({ name: 'CVE-BOB', testers: '@testers', maintainers: 'bob', until }, { actor: 'admin:test', now: Date.now() });
  }));
  const bundleId = await submitDemo(t, lab, { maintainer: alice, agents: ['lab-a'] });

  const asAlice = (await connectAs(lab, alice, 'maintainer')).channel;
  t.after(() => asAlice.close());
  const list = (await asAlice.request({ embargoListRequest: {} })).embargoList!.embargoes!;
  assert.deepEqual(list.map((embargo) => embargo.name), ['CVE-DEMO']);
  const [embargo] = list;
  assert.equal(embargo!.state, 'active');
  assert.equal(embargo!.testers, '@testers');
  assert.deepEqual(embargo!.agents!.map((agent) => [agent.name, agent.hardwareClass]), [['lab-a', 'aarch64/Ampere/Altra']]);
  assert.deepEqual(embargo!.contacts, ['lab-a <lab-a@example.org>']);
  assert.deepEqual(embargo!.members!.map((member) => member.name), ['alice']);
  assert.deepEqual(embargo!.bundles!.map((bundle) => [bundle.bundleId, bundle.complete, bundle.trees]), [[bundleId, false, ['ringbuf']]]);

  const asBob = (await connectAs(lab, bob, 'maintainer')).channel;
  t.after(() => asBob.close());
  const bobs = (await asBob.request({ embargoListRequest: {} })).embargoList!.embargoes!;
  assert.deepEqual(bobs.map((embargo) => embargo.name), ['CVE-BOB']);
  assert.deepEqual(bobs[0]!.bundles, [], "bob sees nothing of alice's bundle");
});
