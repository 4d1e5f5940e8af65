// The maintainer's flow against a real coordinator on loopback: enrol over the wire, submit, see
// the notification on a second connection, status and an audited report. (Needs startCoordinator.)
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { generateIdentity } from '../../shared/identity.js';
import { silentLogger } from '../../shared/log.js';
import { initCoordinator } from '../../coordinator/admin/init.js';
import { startCoordinator } from '../../coordinator/server/coordinator.js';
import { Store } from '../../coordinator/store/store.js';
import { connectMaintainer, enrolMaintainer } from '../../maintainer/connection.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { submitBundle } from '../../maintainer/submit.js';
import { approveAgents } from '../support/approvals.js';
import { smallPatch } from '../support/bundle-fixture.js';
import { runCli } from '../support/agent-process.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

async function temp(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('enrol, submit, notification, status and report against a running coordinator', async (t) => {
  const dataDir = join(await temp(t, 'dr-coord-'), 'data');
  await initCoordinator(dataDir);
  const admin = Store.open(dataDir);
  t.after(() => admin.close());
  const now = Date.now();
  const agentToken = admin.write(() => admin.tokens.issue({ role: 'agent', name: 'lab-a', groups: [] }, now)).token;
  admin.enrol({ token: agentToken, role: 'agent', keys: generateIdentity(), declaration: { profile: { arch: 'x86_64' }, hardwareClass: 'x86_64-test', trees: ['linux-6.1.y'], workloads: [], concurrency: 1 } }, now);
  const maintainerToken = admin.write(() => admin.tokens.issue({ role: 'maintainer', name: 'mia', groups: [] }, now)).token;

  const coordinator = await startCoordinator(dataDir, { host: '127.0.0.1', port: 0, logger: silentLogger, allowPrivateWebhooks: true });
  t.after(() => coordinator.close());

  const home = new MaintainerHome(await temp(t, 'dr-home-'));
  const enrolled = await enrolMaintainer(home, { coordinator: coordinator.url, fingerprint: coordinator.fingerprint, token: maintainerToken, logger: silentLogger });
  assert.equal(enrolled.settings.name, 'mia');
  admin.write(() => admin.embargoes.create({ name: 'cve-1', testers: 'lab-a', maintainers: 'mia', until: new Date(now + 86_400_000).toISOString() }, { actor: 'admin', now }));

  const watcher = await connectMaintainer(home, { logger: silentLogger });
  t.after(() => watcher.close());
  const heard = new Promise<darkroom.v1.Notification.$Properties>((resolve) => watcher.channel.handle((envelope) => {
    if (envelope.notification?.kind === darkroom.v1.NotificationKind.BUNDLE_SUBMITTED) resolve(envelope.notification);
  }));
  assert.deepEqual((await watcher.channel.request({ subscribe: { all: true } })).subscribed!.embargoes, ['cve-1']);

  // `darkroom subscribe --webhook` as a real process: the coordinator stores it and POSTs to it.
  const posts: string[] = [];
  const hook = createServer((request, response) => {
    let body = '';
    request.on('data', (d: Buffer) => (body += d.toString()));
    request.on('end', () => {
      posts.push(body);
      response.end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => hook.close(() => resolve())));
  const subscribed = await runCli(['subscribe', '--home', home.dir, '--webhook', `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`]);
  assert.equal(subscribed.code, 0, subscribed.stderr);
  assert.match(subscribed.stdout, /subscribed for cve-1/);

  const series = join(await temp(t, 'dr-series-'), 'series');
  await mkdir(series);
  await writeFile(join(series, '0001-ring-fix.patch'), smallPatch());
  await approveAgents(home, admin.parties.list('agent'));
  const connection = await connectMaintainer(home, { logger: silentLogger });
  t.after(() => connection.close());
  const submitted = await submitBundle(home, connection, { embargo: 'cve-1', targets: [{ tree: 'linux-6.1.y', base: 'v6.1', series }], workloads: [] });
  assert.equal(submitted.jobs, 1);

  const notification = await heard;
  assert.equal(notification.bundleId, submitted.bundleId);
  assert.equal(notification.embargo, 'cve-1');
  const deadline = Date.now() + 5_000;
  while (posts.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(JSON.parse(posts[0] ?? '{}').bundleId, submitted.bundleId, 'the webhook received the notification');

  const status = (await connection.channel.request({ statusRequest: { bundleId: submitted.bundleId } })).bundleStatus!;
  assert.deepEqual(status.jobs!.map((job) => job.agent), ['lab-a']);
  const report = (await connection.channel.request({ reportRequest: { bundleId: submitted.bundleId } })).report!;
  assert.equal(report.rows![0]!.hardwareClass, 'x86_64-test');
  const reads = admin.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM audit WHERE action = 'report.read'").get()!;
  assert.equal(reads.n, 1);
});
