// The maintainer session over a real socket: submit, status, report (audited) and refusals, with
// the real client functions against runMaintainerSession and a recording hub.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../../proto/darkroom.js';
import { nacl } from '../../../shared/crypto/index.js';
import { fingerprint, generateIdentity, writeIdentity, type Identity } from '../../../shared/identity.js';
import { silentLogger } from '../../../shared/log.js';
import { WireError } from '../../../shared/wire/errors.js';
import type { Hub, LiveSubscription, NotificationInit } from '../../../coordinator/server/hub.js';
import { DEFAULT_LISTENER_LIMITS, listen } from '../../../coordinator/server/listener.js';
import { runMaintainerSession } from '../../../coordinator/server/maintainer-session.js';
import { Registry } from '../../../coordinator/server/registry.js';
import { GroupCommit } from '../../../coordinator/server/group-commit.js';
import { VerifyPool } from '../../../coordinator/server/verify-pool.js';
import { CoordinatorMetrics } from '../../../coordinator/metrics/metrics.js';
import { payloadPath } from '../../../coordinator/store/bundles.js';
import type { Store } from '../../../coordinator/store/store.js';
import { connectMaintainer } from '../../../maintainer/connection.js';
import { MaintainerHome } from '../../../maintainer/home.js';
import { publishApprovals } from '../../../maintainer/approvals.js';
import { fetchRecipients } from '../../../maintainer/recipients.js';
import { submitBundle } from '../../../maintainer/submit.js';
import { openApprovalList } from '../../../shared/approvals.js';
import { approveAgents } from '../../support/approvals.js';
import { SECRET_LINE, smallPatch } from '../../support/bundle-fixture.js';
import { enrolAgent, openEmbargo, T0, tempDir, tempStore } from '../coordinator/helpers.js';

interface Lab {
  store: Store;
  notes: NotificationInit[];
  subscriptions: LiveSubscription[];
  offers: { count: number; agents: string[] };
  home(name: string): Promise<MaintainerHome>;
}

function enrolMaintainerWith(store: Store, name: string, identity: Identity): void {
  const { token } = store.write(() => store.tokens.issue({ role: 'maintainer', name, groups: [] }, T0));
  store.enrol({ token, role: 'maintainer', keys: identity }, T0);
}

async function startLab(t: TestContext): Promise<Lab> {
  const store = await tempStore(t);
  const identity = generateIdentity();
  const notes: NotificationInit[] = [];
  const subscriptions: LiveSubscription[] = [];
  const offers = { count: 0, agents: [] as string[] };
  const registry = new Registry();
  const verifier = new VerifyPool(1);
  t.after(() => verifier.close());
  const commits = new GroupCommit(store);
  const hub: Hub = {
    store, identity, registry, logger: silentLogger, timings: { heartbeatIntervalMs: 10_000, leaseMs: 60_000 }, commits,
    verifier, metrics: new CoordinatorMetrics({ store, agentsConnected: () => registry.size }),
    isActive: (partyId) => store.parties.isActive(partyId),
    offerTo: () => undefined,
    bundleChanged: () => undefined,
    offerToAll: () => void offers.count++,
    offerAfter: async (work, agentsOf) => {
      const value = await commits.run(work);
      offers.count++;
      offers.agents.push(...agentsOf(value).map((agent) => agent.name));
      return value;
    },
    notify: (note) => void notes.push(note),
    subscribe: (subscription) => void subscriptions.push(subscription),
    webhooks: { allowPrivate: false },
    mailEnabled: false,
  };
  const listener = await listen({
    host: '127.0.0.1', port: 0, identity, nacl, logger: silentLogger, limits: DEFAULT_LISTENER_LIMITS,
    onAuthenticated: (peer, channel) => {
      const party = store.parties.bySignKey(peer.signKey)!;
      channel.send({ welcome: { name: party.name, role: darkroom.v1.Role.ROLE_MAINTAINER } });
      runMaintainerSession(hub, party, channel);
    },
  });
  t.after(() => listener.close());
  const url = `ws://127.0.0.1:${listener.port}`;
  return {
    store, notes, subscriptions, offers,
    home: async (name) => {
      const dir = await tempDir(t);
      const me = generateIdentity();
      await writeIdentity(dir, me);
      enrolMaintainerWith(store, name, me);
      const home = new MaintainerHome(dir);
      await home.saveSettings({ coordinator: url, fingerprint: fingerprint(identity), name });
      return home;
    },
  };
}

async function seriesDir(t: TestContext): Promise<string> {
  const dir = join(await tempDir(t), 'series');
  await mkdir(dir);
  await writeFile(join(dir, '0001-ring-fix.patch'), smallPatch());
  return dir;
}

const refusedWith = (code: string) => (error: unknown) => error instanceof WireError && error.code === code;

test('submit seals to the eligible agent, uploads, accepts, offers and notifies; status and report follow', async (t) => {
  const lab = await startLab(t);
  const home = await lab.home('m');
  const labA = enrolAgent(lab.store, 'lab-a', { trees: ['linux-6.1.y'] });
  const other = enrolAgent(lab.store, 'lab-other-tree', { trees: ['mainline'] });
  await approveAgents(home, [labA, other]);
  openEmbargo(lab.store, 'cve-1', 'lab-a,lab-other-tree');
  const connection = await connectMaintainer(home, { logger: silentLogger });
  t.after(() => connection.close());

  const submitted = await submitBundle(home, connection, { embargo: 'cve-1', targets: [{ tree: 'linux-6.1.y', base: 'v6.1', series: await seriesDir(t) }], workloads: [] });
  assert.match(submitted.bundleId, /^[0-9a-f]{32}$/);
  assert.deepEqual(submitted.recipients, ['lab-a']);
  assert.equal(submitted.jobs, 1);
  assert.deepEqual(submitted.trust.leftOut, []);
  assert.deepEqual(submitted.logReaders, ['m']);
  assert.deepEqual((await home.pins())['lab-a'], { fingerprint: labA.fingerprint, approvedBy: 'you' });

  const bundle = lab.store.bundles.require(submitted.bundleId);
  assert.equal(bundle.complete, true);
  const payload = payloadPath(lab.store.dataDir, bundle.id);
  assert.equal((await stat(payload)).mode & 0o777, 0o600);
  assert.ok(!(await readFile(payload, 'latin1')).includes(SECRET_LINE), 'the coordinator holds ciphertext only');
  assert.equal(lab.offers.count, 1);
  assert.deepEqual(lab.offers.agents, ['lab-a'], 'the offers are planned for the agent of the job created, not for every connected agent');
  assert.deepEqual(lab.notes.map((n) => [n.kind, n.embargo, n.bundleId]), [[darkroom.v1.NotificationKind.BUNDLE_SUBMITTED, 'cve-1', bundle.id]]);
  assert.equal((await home.bundle(bundle.id)).recipients[0], 'lab-a');

  const status = (await connection.channel.request({ statusRequest: { bundleId: bundle.id } })).bundleStatus!;
  assert.deepEqual(status.jobs!.map((job) => [job.agent, job.tree, job.state, job.hardwareClass]), [['lab-a', 'linux-6.1.y', 'queued', 'x86_64-amd-zen4']]);
  assert.equal(status.complete, false);

  const report = (await connection.channel.request({ reportRequest: { bundleId: bundle.id } })).report!;
  assert.equal(report.rows![0]!.cells![0]!.counts!.pending, 1);
  const audited = lab.store.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM audit WHERE action = 'report.read'").get()!;
  assert.equal(audited.n, 1);

  const subscribed = (await connection.channel.request({ subscribe: { bundleIds: [bundle.id] } })).subscribed!;
  assert.deepEqual(subscribed.embargoes, []);
  assert.deepEqual([...lab.subscriptions[0]!.bundleIds], [bundle.id]);
});

test('a maintainer of another embargo is refused, and so are unknown embargoes and bundles; the connection goes on', async (t) => {
  const lab = await startLab(t);
  const owner = await lab.home('m');
  const outsider = await lab.home('m2');
  await approveAgents(owner, [enrolAgent(lab.store, 'lab-a')]);
  openEmbargo(lab.store, 'cve-1', 'lab-a');
  const ownerConnection = await connectMaintainer(owner, { logger: silentLogger });
  const outsiderConnection = await connectMaintainer(outsider, { logger: silentLogger });
  t.after(() => ownerConnection.close());
  t.after(() => outsiderConnection.close());

  await assert.rejects(outsiderConnection.channel.request({ recipientsRequest: { embargo: 'cve-1', trees: ['linux-6.1.y'], nonce: new Uint8Array(32) } }), refusedWith('NOT_AUTHORIZED'));
  await assert.rejects(outsiderConnection.channel.request({ recipientsRequest: { embargo: 'nope', trees: ['linux-6.1.y'], nonce: new Uint8Array(32) } }), refusedWith('NOT_FOUND'));
  await assert.rejects(outsiderConnection.channel.request({ statusRequest: { bundleId: '0'.repeat(32) } }), refusedWith('NOT_FOUND'));
  await assert.rejects(outsiderConnection.channel.request({ subscribe: { embargoes: ['cve-1'] } }), refusedWith('NOT_AUTHORIZED'));

  const submitted = await submitBundle(owner, ownerConnection, { embargo: 'cve-1', targets: [{ tree: 'linux-6.1.y', base: 'v6.1', series: await seriesDir(t) }], workloads: [] });
  await assert.rejects(outsiderConnection.channel.request({ reportRequest: { bundleId: submitted.bundleId } }), refusedWith('NOT_AUTHORIZED'));
  await assert.rejects(outsiderConnection.channel.request({ uploadChunk: { bundleId: submitted.bundleId, offset: 0, data: new Uint8Array(1), last: true } }), refusedWith('NOT_AUTHORIZED'));
  const audited = lab.store.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM audit WHERE action = 'report.read'").get()!;
  assert.equal(audited.n, 0, 'a refused report is not a read');
  // The connection survives refusals: the owner still gets answers.
  const status = (await ownerConnection.channel.request({ statusRequest: { bundleId: submitted.bundleId } })).bundleStatus!;
  assert.equal(status.jobs!.length, 1);
});

test('approval lists: a maintainer publishes its own, the coordinator relays it with recipient lists and refuses one signed by another key', async (t) => {
  const lab = await startLab(t);
  const mia = await lab.home('m');
  const mo = await lab.home('mo');
  await approveAgents(mo, [enrolAgent(lab.store, 'lab-a')]);
  openEmbargo(lab.store, 'cve-1', 'lab-a', 'm,mo');
  const moConnection = await connectMaintainer(mo, { logger: silentLogger });
  const miaConnection = await connectMaintainer(mia, { logger: silentLogger });
  t.after(() => moConnection.close());
  t.after(() => miaConnection.close());

  const published = await publishApprovals(mo, moConnection, await mo.trust());
  assert.equal(published.published, 1);
  const list = await fetchRecipients(miaConnection, { embargo: 'cve-1', trees: [] });
  assert.deepEqual(list.agents, [], 'a request without trees lists maintainers only');
  assert.deepEqual(list.approvalLists.map((signed) => openApprovalList(signed).approverFingerprint), [fingerprint(await mo.identity())]);

  await assert.rejects(miaConnection.channel.request({ approvalsPublish: { signed: list.approvalLists[0]! } }), refusedWith('NOT_AUTHORIZED'));
  await assert.rejects(miaConnection.channel.request({ approvalsPublish: { signed: new Uint8Array([1, 2, 3]) } }), refusedWith('BAD_REQUEST'));
  const audited = lab.store.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM audit WHERE action = 'approvals.published'").get()!;
  assert.equal(audited.n, 1, 'only the accepted list is audited');
});

test('without a prompt an unapproved agent is left out; a prompt that says yes approves it, seals to it and publishes the list', async (t) => {
  const lab = await startLab(t);
  const home = await lab.home('m');
  const labA = enrolAgent(lab.store, 'lab-a');
  await approveAgents(home, [labA]);
  const labB = enrolAgent(lab.store, 'lab-b');
  openEmbargo(lab.store, 'cve-1', 'lab-a,lab-b');
  const connection = await connectMaintainer(home, { logger: silentLogger });
  t.after(() => connection.close());
  const targets = [{ tree: 'linux-6.1.y', base: 'v6.1', series: await seriesDir(t) }];

  const quiet = await submitBundle(home, connection, { embargo: 'cve-1', targets, workloads: [] });
  assert.deepEqual(quiet.recipients, ['lab-a']);
  assert.deepEqual(quiet.trust.leftOut.map((entry) => [entry.role, entry.party.name, entry.party.fingerprint]), [['agent', 'lab-b', labB.fingerprint]]);

  const asked: string[] = [];
  const prompted = await submitBundle(home, connection, { embargo: 'cve-1', targets, workloads: [], prompt: async (candidate) => {
    asked.push(`${candidate.party.name} ${candidate.party.hardwareClass} ${candidate.party.fingerprint}`);
    return true;
  } });
  assert.deepEqual(asked, [`lab-b x86_64-amd-zen4 ${labB.fingerprint}`], 'the prompt shows name, hardware class and whole fingerprint');
  assert.deepEqual(prompted.recipients.sort(), ['lab-a', 'lab-b']);
  assert.deepEqual(prompted.trust.approvedNow.map((entry) => entry.party.name), ['lab-b']);
  const stored = lab.store.approvalLists.of(lab.store.parties.byName('m')!)!;
  assert.deepEqual(openApprovalList(stored).parties.map((party) => party.name), ['lab-a', 'lab-b'], 'the new approval is published for co-maintainers');
});
