// Boot method `reboot` with a real agent daemon: the restart command kills the agent (the machine
// going down), the test starts it again (the machine back up), and the agent resumes the saved job.
// The "running kernel" is a file the restart command writes, or leaves alone when the patched
// kernel failed to come up.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifySignedResultBytes } from '../../shared/result.js';
import { statusFromProto, type Status } from '../../shared/status.js';
import { tempDir } from '../support/bundle-fixture.js';
import { AGENT, rig, type Rig } from '../support/agent-rig.js';
import { until } from '../support/demo-job.js';
import { processesUnder, startAgent } from '../support/agent-process.js';

const BUILT_KERNEL = '6.1.0-darkroom+';
const OLD_KERNEL = '6.1.0-distro';
const TEST_TIMEOUT_MS = 180_000;

/** An agent whose restart command "boots" `comesBack` (by writing it where the kernel check reads) and kills the agent. */
async function rebootRig(t: TestContext, comesBack: string): Promise<Rig> {
  const kernelFile = join(await tempDir(t, 'dr-reboot-'), 'running-kernel');
  await writeFile(kernelFile, `${OLD_KERNEL}\n`);
  const boot = {
    method: 'reboot',
    expected: `echo ${BUILT_KERNEL}`,
    command: `echo ${comesBack} > ${kernelFile} && kill -9 $PPID`,
    expect_kernel_command: `cat ${kernelFile}`,
    timeout: '1m',
  };
  return rig(t, { stages: { boot }, lab: {} });
}

/** Runs the job up to the restart: the agent dies by its own restart command, the job saved. */
async function runUntilRestart(r: Rig): Promise<string> {
  const first = startAgent(r.setup);
  r.agents.push(first);
  const died = new Promise<NodeJS.Signals | null>((resolve) => first.once('exit', (_code, signal) => resolve(signal)));
  await until('the agent to connect', () => r.lab.coordinator.hub.registry.isConnected(AGENT), 30_000);
  const bundleId = await r.submit();
  assert.equal(await died, 'SIGKILL', 'the restart command took the agent down');
  const saved = await readdir(join(r.setup.stateDir, 'jobs'));
  assert.equal(saved.filter((name) => name.endsWith('.job.json')).length, 1, 'the job was saved for the restart');
  assert.equal(r.lab.admin((store) => store.results.byBundle(bundleId)).length, 0, 'no result before the restart');
  return bundleId;
}

/** The agent "after the reboot": resumes the job; resolves with the stored result's stage verdicts. */
async function resumeAfterRestart(r: Rig, bundleId: string): Promise<Record<string, Status>> {
  r.agents.push(startAgent(r.setup));
  await until('the resumed job to finish', () => r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 120_000);
  const stored = r.lab.admin((store) => store.results.byBundle(bundleId));
  assert.equal(stored.length, 1, 'exactly one result is stored');
  assert.equal(stored[0]!.attempt, 1, 'the attempt that went through the restart reported');
  const agentKey = r.lab.admin((store) => store.parties.byName(AGENT)!.signKey);
  const { result } = verifySignedResultBytes(stored[0]!.signed, agentKey);
  return Object.fromEntries(result.stages.map((s) => [s.name!, statusFromProto(s.status!)]));
}

async function stopAndCheck(r: Rig): Promise<void> {
  const last = r.agents.at(-1)!;
  const exited = new Promise((resolve) => last.once('exit', resolve));
  last.kill('SIGTERM');
  await exited;
  assert.deepEqual(await processesUnder(r.setup.dir), [], 'nothing the agents started is still running');
  assert.deepEqual((await readdir(join(r.setup.stateDir, 'jobs'))).filter((name) => name.endsWith('.job.json')), [], 'the saved job is gone');
}

test('reboot by a real agent: killed by its restart command, restarted, it resumes the job and reports boot PASS on the expected kernel', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const r = await rebootRig(t, BUILT_KERNEL);
  const bundleId = await runUntilRestart(r);
  assert.deepEqual(await resumeAfterRestart(r, bundleId), { apply: 'PASS', build: 'PASS', boot: 'PASS', 'workload:unit': 'PASS', 'workload:stress': 'PASS' });
  assert.equal(r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.status), 'PASS');
  await stopAndCheck(r);
});

test('reboot by a real agent: the machine came back on another kernel, so boot FAIL and the workloads are skipped', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const r = await rebootRig(t, OLD_KERNEL);
  const bundleId = await runUntilRestart(r);
  assert.deepEqual(await resumeAfterRestart(r, bundleId), { apply: 'PASS', build: 'PASS', boot: 'FAIL', 'workload:unit': 'SKIP', 'workload:stress': 'SKIP' });
  assert.equal(r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.status), 'FAIL');
  await stopAndCheck(r);
});
