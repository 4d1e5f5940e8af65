import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { darkroom } from '../../../proto/darkroom.js';
import { openLogs } from '../../../shared/bundle/index.js';
import { verifySignedResultBytes } from '../../../shared/result.js';
import { statusFromProto } from '../../../shared/status.js';
import { trustOnly } from '../../support/bundle-fixture.js';
import { fingerprint } from '../../../shared/identity.js';
import { AGENT_NAME, filesBelow, jobLab, TREE, type JobLab } from '../../support/job-lab.js';

const verdicts = (result: darkroom.v1.Result) => Object.fromEntries(result.stages.map((s) => [s.name, statusFromProto(s.status!)]));

/** Processes whose command line holds `marker`, by the kernel's account (zombies excluded). */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (cmdline.includes(marker) && !/^\S+ \(.*\) [ZX] /.test(stat)) found.push(Number(name));
  }
  return found;
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`Gave up waiting: ${what}`);
}

test('a job that passes end to end: signed result in the outbox before it is sent, logs only for the maintainer, plaintext wiped', async (t) => {
  const l = await jobLab(t);
  const runner = l.runner();
  const offer = await l.offer('job-pass');
  assert.deepEqual(runner.offer(offer, l.coordinator.asChannel()), { accepted: true });
  assert.deepEqual(runner.runningJobIds(), ['job-pass']);
  await runner.idle();

  const [entry] = await l.outbox.pending();
  assert.ok(entry, 'the result waits in the outbox until acknowledged');
  const { result } = verifySignedResultBytes(entry.bytes, l.agent.signKey);
  assert.deepEqual(verdicts(result), { apply: 'PASS', build: 'PASS', boot: 'SKIP', 'workload:unit': 'PASS' });
  assert.equal(statusFromProto(result.status), 'PASS');
  assert.deepEqual([result.jobId, result.attempt, result.bundleId, result.agentName, result.tree, result.hardwareClass], ['job-pass', 1, offer.bundleId, AGENT_NAME, TREE, 'x86_64/Test/CPU']);
  assert.ok(Number(result.finishedAtMs) >= Number(result.startedAtMs));

  const submits = l.coordinator.sent.filter((e) => e.resultSubmit);
  assert.equal(submits.length, 1);
  assert.deepEqual(l.coordinator.durableWhenSent, [true]);
  assert.deepEqual(l.coordinator.progress().slice(0, 4), ['apply started', 'apply finished', 'build started', 'build finished']);

  const logs = await openLogs(result.sealedLogs, { identity: l.maintainer, trust: trustOnly(l.agent) });
  assert.equal(logs.parsed.header.subjectId, 'job-pass');
  assert.match(logs.files.find((f) => f.name === 'build.log')!.content.toString(), /cc -O0 -o hello hello\.c/);
  await assert.rejects(openLogs(result.sealedLogs, { identity: l.stranger, trust: trustOnly(l.agent) }), { code: 'NOT_FOR_ME' });

  assert.deepEqual(await filesBelow(l.workspaces.jobsDir), [], 'the job workspace is wiped');
  assert.equal(existsSync(l.workspaces.buildDir(TREE)), false, 'the build output is wiped');
  assert.doesNotMatch(await readFile(join(l.workspaces.treeDir(TREE), 'hello.c'), 'utf8'), /twice/, 'the private clone is back at the base');
  assert.deepEqual(runner.runningJobIds(), []);
  assert.deepEqual(runner.offer(offer, l.coordinator.asChannel()), { accepted: true }, 'a repeated offer of a finished job is not run again');
  assert.equal((await l.outbox.pending()).length, 1);
});

/** The one result in the outbox: an apply ERROR with every later stage skipped, nothing fetched or left behind. */
async function assertRefused(l: JobLab): Promise<string> {
  const [entry] = await l.outbox.pending();
  const { result } = verifySignedResultBytes(entry!.bytes, l.agent.signKey);
  assert.deepEqual(verdicts(result), { apply: 'ERROR', build: 'SKIP', boot: 'SKIP', 'workload:unit': 'SKIP' });
  assert.equal(statusFromProto(result.status), 'ERROR', 'a refused bundle is never a FAIL of the series');
  assert.equal(result.sealedLogs.length, 0, 'no logs for recipients an untrusted signer chose');
  assert.deepEqual(l.coordinator.bundleRequests, [], 'the payload was never fetched');
  assert.equal(existsSync(join(l.workspaces.treeDir(TREE), '.git')), false, 'the tree was never checked out');
  assert.deepEqual(await filesBelow(l.workspaces.jobsDir), []);
  assert.deepEqual(l.coordinator.durableWhenSent, [true]);
  return result.stages[0]!.reason!;
}

test('a bundle signed by a maintainer the tester did not pin, though the offer lists it: ERROR naming its fingerprint, nothing fetched or applied', async (t) => {
  const l = await jobLab(t);
  const runner = l.runner();
  runner.offer(await l.offer('job-forged', { signer: l.stranger }), l.coordinator.asChannel());
  await runner.idle();
  const reason = await assertRefused(l);
  assert.ok(reason.includes(fingerprint(l.stranger)), `the reason names the signer's fingerprint: ${reason}`);
  assert.match(reason, /a maintainer this agent does not trust \(trusted_maintainers pinned: DR1:/);
});

test('a bundle of the pinned maintainer that the offer does not list as a maintainer of the embargo: ERROR, nothing fetched', async (t) => {
  const l = await jobLab(t);
  const runner = l.runner();
  runner.offer(await l.offer('job-unlisted', { listed: [l.stranger] }), l.coordinator.asChannel());
  await runner.idle();
  assert.match(await assertRefused(l), /whom the offer does not list as a maintainer of embargo/);
});

test('the offer cannot swap the pinned maintainer\'s box key: another fingerprint, refused', async (t) => {
  const l = await jobLab(t);
  const runner = l.runner();
  runner.offer(await l.offer('job-swapped', { listed: [{ ...l.maintainer, boxKey: l.stranger.boxKey }] }), l.coordinator.asChannel());
  await runner.idle();
  const reason = await assertRefused(l);
  assert.ok(reason.includes(fingerprint({ signKey: l.maintainer.signKey, boxKey: l.stranger.boxKey })), reason);
});

test('offers are declined for an undeclared tree and when concurrency is full; a cancel mid-build kills the build\'s tree and wipes, with no result', async (t) => {
  const marker = `700.${Date.now() % 1_000_000}${Math.floor(Math.random() * 1000)}`;
  const l = await jobLab(t, { build: { command: `sleep ${marker} & setsid sleep ${marker} & sleep ${marker}`, timeoutMs: 60_000 } });
  const runner = l.runner();
  const channel = l.coordinator.asChannel();
  const other = await l.offer('job-other-tree');
  assert.deepEqual(runner.offer({ ...other, tree: 'linux' } as darkroom.v1.JobOffer, channel), { accepted: false, reason: 'tree linux is not declared by this agent' });

  const offer = await l.offer('job-cancel');
  assert.deepEqual(runner.offer(offer, channel), { accepted: true });
  await until('the build runs', async () => (await processesWith(marker)).length >= 3);
  const second = runner.offer(await l.offer('job-second'), channel);
  assert.equal(second.accepted, false);
  assert.match((second as { reason: string }).reason, /concurrency full: 1 of 1 jobs running/);
  assert.deepEqual(runner.offer(offer, channel), { accepted: true }, 'a repeated offer of the running job is not started twice');
  assert.deepEqual(runner.runningJobIds(), ['job-cancel']);
  assert.ok((await filesBelow(l.workspaces.jobsDir)).some((f) => f.startsWith('job-cancel/series/')), 'the series is in the workspace while it runs');

  runner.cancel('job-cancel', 'embargo withdrawn');
  await runner.idle();
  assert.deepEqual(await processesWith(marker), [], 'the build and its children, the setsid one too, are gone');
  assert.deepEqual(await filesBelow(l.workspaces.jobsDir), []);
  assert.equal(existsSync(l.workspaces.buildDir(TREE)), false);
  assert.doesNotMatch(await readFile(join(l.workspaces.treeDir(TREE), 'hello.c'), 'utf8'), /twice/);
  assert.deepEqual(await l.outbox.pending(), [], 'a cancelled job reports no verdict');
  assert.equal(l.coordinator.sent.filter((e) => e.resultSubmit).length, 0);
  assert.ok(l.coordinator.progress().includes('build finished'));
  assert.ok(!l.coordinator.progress().includes('workload:unit started'), 'nothing runs after the cancel');
});
