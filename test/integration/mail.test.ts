// Notification mail through a real SMTP server on loopback: 100 subscribers after a submit, the
// relay down and back, with metadata only (no series line, no case name, the embargo named only
// when asked).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import type { CoordinatorOptions } from '../../coordinator/server/coordinator.js';
import { KIND_HEADER } from '../../coordinator/mail/sender.js';
import { connectMaintainer, enrolMaintainer } from '../../maintainer/connection.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { submitBundle } from '../../maintainer/submit.js';
import { subscribeMail } from '../../maintainer/subscribe.js';
import { silentLogger } from '../../shared/log.js';
import { approveParties } from '../../maintainer/approvals.js';
import { fingerprint } from '../../shared/identity.js';
import { smallPatch, tempDir } from '../support/bundle-fixture.js';
import { issueToken, startLab } from '../support/coordinator-lab.js';
import { until } from '../support/demo-job.js';
import { CROWD_EMBARGO, startCrowd } from '../support/maintainer-crowd.js';
import { ScriptedAgent } from '../support/scripted-agent.js';
import { startSmtpSink, type AcceptedMail, type SmtpSink } from '../support/smtp-sink.js';

const CROWD_SIZE = 100;
const MIN_SECRET_LINE = 8;
const CASE_NAME = 'ringbuf.overflow.CASENAME-MARKER';
const FROM = 'Darkroom <darkroom@darkroom.test>';
const FAST_RETRY = { firstMs: 200, maxMs: 500, giveUpAfterMs: 600_000 };

function mailOptions(sink: SmtpSink): CoordinatorOptions {
  return { mail: { relay: { host: '127.0.0.1', port: sink.port, security: 'none', from: FROM }, policy: FAST_RETRY } };
}

const kindOf = (mail: AcceptedMail) => new RegExp(`^${KIND_HEADER}:\\s*(\\S+)`, 'im').exec(mail.raw)?.[1] ?? '';
const secretLines = (patch: Uint8Array) => Buffer.from(patch).toString('utf8').split('\n').map((line) => line.trim()).filter((line) => line.length >= MIN_SECRET_LINE);

function assertMetadataOnly(mails: readonly AcceptedMail[], secrets: readonly string[]): void {
  for (const mail of mails) for (const secret of secrets) assert.equal(mail.raw.includes(secret), false, `a mail to ${mail.to.join(',')} carries '${secret}'`);
}

async function startSink(t: TestContext): Promise<SmtpSink> {
  const sink = await startSmtpSink();
  t.after(() => sink.stop());
  return sink;
}

test('100 subscribed maintainers each get one mail after a submit, without series text; the embargo is named only when asked', async (t) => {
  const sink = await startSink(t);
  const crowd = await startCrowd(await tempDir(t, 'dr-mail-'), { size: CROWD_SIZE, coordinator: mailOptions(sink) });
  t.after(() => crowd.close());
  const replies = await Promise.all(crowd.watchers.map((channel, index) => subscribeMail(channel, { email: `m-${index}@example.org`, embargoes: [], trees: [], namesEmbargo: index % 10 === 0 })));
  for (const covered of replies) assert.deepEqual(covered, [CROWD_EMBARGO]);

  const patch = smallPatch('ring: MAILTEXT-MARKER keep the overflow quiet');
  const submitted = await crowd.submit(patch);
  const submittedMails = await until('100 BUNDLE_SUBMITTED mails', () => {
    const mails = sink.mails.filter((mail) => kindOf(mail) === 'BUNDLE_SUBMITTED');
    return mails.length >= CROWD_SIZE && mails;
  });

  assert.equal(submittedMails.length, CROWD_SIZE);
  assert.deepEqual(submittedMails.flatMap((mail) => mail.to).sort(), Array.from({ length: CROWD_SIZE }, (_, index) => `m-${index}@example.org`).sort());
  assert.equal(new Set(submittedMails.map((mail) => mail.messageId)).size, CROWD_SIZE);
  const secrets = secretLines(patch);
  assert.ok(secrets.some((line) => line.includes('MAILTEXT-MARKER')));
  assertMetadataOnly(sink.mails, secrets);
  for (const mail of submittedMails) {
    assert.ok(mail.raw.includes(submitted.bundleId), 'the mail names the bundle');
    const asked = Number(/^m-(\d+)@/.exec(mail.to[0]!)![1]) % 10 === 0;
    assert.equal(mail.raw.includes(CROWD_EMBARGO), asked, `the embargo is named in the mail to ${mail.to[0]} only if asked`);
  }
  assert.equal(crowd.admin.mailQueue.counts().queued, 0);
});

test('a maintainer subscribed before joining an embargo learns it; with the relay down mails wait and arrive once each when it is back; no case name is mailed', async (t) => {
  const sink = await startSink(t);
  await sink.stop();
  const lab = await startLab(t, mailOptions(sink));
  const agent = await ScriptedAgent.enrol(lab, 'lab-1', {
    trees: ['linux-6.1.y'], group: 'lab',
    stages: [{ name: 'apply', status: darkroom.v1.Status.PASS }, { name: 'workload:ltp', status: darkroom.v1.Status.PASS, cases: [{ name: CASE_NAME, status: darkroom.v1.Status.PASS }] }],
  });
  t.after(() => agent.close());
  const home = new MaintainerHome(await tempDir(t, 'dr-mail-home-'));
  await enrolMaintainer(home, { coordinator: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, token: issueToken(lab, 'maintainer', 'mia'), logger: silentLogger });
  const connection = await connectMaintainer(home, { logger: silentLogger });
  t.after(() => connection.close());
  assert.deepEqual(await subscribeMail(connection.channel, { email: 'mia@example.org', embargoes: [], trees: [], namesEmbargo: false }), []);
  lab.admin((store) => store.write(() => store.embargoes.create({ name: 'cve-mail', testers: '@lab', maintainers: 'mia', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin', now: Date.now() })));
  await agent.connect(lab);

  const series = join(await tempDir(t, 'dr-mail-series-'), 'series');
  await mkdir(series);
  const patch = smallPatch('ring: RELAYDOWN-MARKER quiet the overflow');
  await writeFile(join(series, '0001-fix.patch'), patch);
  await approveParties(home, [{ name: agent.name, role: 'agent', fingerprint: fingerprint(agent.identity) }]);
  const submitted = await submitBundle(home, connection, { embargo: 'cve-mail', targets: [{ tree: 'linux-6.1.y', base: 'v6.1', series }], workloads: [] });
  await until('the job offered', () => agent.offers.size === 1);
  agent.submit({ all: true });
  await until('three mails tried and waiting', () => lab.admin((store) => {
    const waiting = store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM mail_queue WHERE sent_at IS NULL AND attempts >= 1').get()!.n;
    return waiting >= 3;
  }));
  assert.equal(sink.mails.length, 0);

  await sink.start();
  await until('the three mails sent', () => lab.admin((store) => store.mailQueue.counts().queued === 0 && store.mailQueue.counts().sent >= 3));
  const kinds = sink.mails.map(kindOf).sort();
  assert.deepEqual(kinds, ['BUNDLE_COMPLETE', 'BUNDLE_SUBMITTED', 'MAINTAINER_ADDED']);
  assert.equal(new Set(sink.mails.map((mail) => mail.messageId)).size, sink.mails.length);
  for (const mail of sink.mails) {
    assert.deepEqual(mail.to, ['mia@example.org']);
    if (kindOf(mail) !== 'MAINTAINER_ADDED') assert.ok(mail.raw.includes(submitted.bundleId));
    assert.equal(mail.raw.includes('cve-mail'), false, 'the embargo is not named unless asked');
  }
  assertMetadataOnly(sink.mails, [...secretLines(patch), CASE_NAME, 'CASENAME-MARKER']);
});
