// Threat model item 11 with real processes and sockets: an agent killed with SIGKILL mid-build,
// mid-boot, and after its result reached the outbox but before the coordinator acknowledged it. On
// restart the job ends with exactly one stored, signed result, the outbox drains, and the audit
// chain holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { restartCoordinator, stopCoordinator } from '../support/coordinator-lab.js';
import { until } from '../support/demo-job.js';
import { killHard } from '../support/agent-process.js';
import { assertNothingLeft, assertOneSignedResult, buildRunning, connected, FAULT_TEST_TIMEOUT_MS, LAB_OPTIONS, outboxFiles, rig, running, start, type Rig } from '../support/agent-rig.js';

/** A boot command slow enough to be caught running. */
const SLOW_BOOT = 'sleep 3 && echo booted';

/** SIGKILLs the agent with no result stored yet, starts it again, and waits for the job's one result. */
async function killAndRestart(r: Rig, agent: ChildProcess, bundleId: string): Promise<void> {
  await killHard(agent);
  assert.equal(r.lab.admin((store) => store.results.byBundle(bundleId)).length, 0, 'no result before the restart');
  start(r);
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 120_000);
  await until('the outbox to drain', async () => (await outboxFiles(r.setup)).length === 0, 20_000);
  assertOneSignedResult(r, bundleId);
}

test('an agent killed with SIGKILL mid-build runs the job again after restart and the result is stored once', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const r = await rig(t);
  const first = start(r);
  await connected(r);
  const bundleId = await r.submit();
  await buildRunning(r.setup);
  await killAndRestart(r, first, bundleId);
  await assertNothingLeft(r);
});

test('an agent killed with SIGKILL mid-boot runs the job again after restart and the result is stored once', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const r = await rig(t, { stages: { boot: { method: 'command', command: SLOW_BOOT, timeout: '2m' } } });
  const first = start(r);
  await connected(r);
  const bundleId = await r.submit();
  await running(r.setup, SLOW_BOOT);
  await killAndRestart(r, first, bundleId);
  const stages = r.lab.admin((store) => store.results.byBundle(bundleId))[0]!.stages as Array<{ name: string; status: string }>;
  assert.equal(stages.find((s) => s.name === 'boot')?.status, 'PASS', 'the boot ran to the end on the second start');
  await assertNothingLeft(r);
});

test('a result written to the outbox but never acknowledged is delivered once after SIGKILL and restarts', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const r = await rig(t);
  const first = start(r);
  await connected(r);
  const bundleId = await r.submit();
  await buildRunning(r.setup);
  await stopCoordinator(r.lab);
  const [pending] = await until('the result in the outbox', async () => { const files = await outboxFiles(r.setup); return files.length > 0 && files; }, 60_000);
  await killHard(first);
  assert.match(pending!, /\.1\.result$/, 'the first attempt\'s result waits in the outbox');
  assert.equal(r.lab.admin((store) => store.results.byBundle(bundleId)).length, 0, 'the coordinator never saw it');

  await restartCoordinator(r.lab, LAB_OPTIONS);
  start(r);
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 60_000);
  await until('the outbox to drain', async () => (await outboxFiles(r.setup)).length === 0, 20_000);
  assertOneSignedResult(r, bundleId);
  assert.equal(r.lab.admin((store) => store.results.byBundle(bundleId))[0]!.attempt, 1, 'the stored result is the one from the outbox');
  await assertNothingLeft(r);
});
