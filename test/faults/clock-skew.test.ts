// THREAT-MODEL 17: an agent whose clock is 10 minutes ahead or behind the coordinator's enrols, keeps
// its lease with heartbeats through a build longer than the lease, and delivers one signed result;
// the coordinator's own clock decides leases and deadlines, the agent's only stamps its result.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { jobsOfferedIn } from '../../coordinator/store/dispatch.js';
import { agentLog } from '../support/agent-process.js';
import { until } from '../support/demo-job.js';
import { skewedClockEnv } from '../support/clock-skew.js';
import { assertNothingLeft, assertOneSignedResult, connected, FAULT_TEST_TIMEOUT_MS, LAB_OPTIONS, outboxFiles, rig, start } from '../support/agent-rig.js';

const TEN_MINUTES_MS = 10 * 60 * 1000;
/** How far the result's stamps may sit from "coordinator time + skew": the job's own duration and more. */
const STAMP_TOLERANCE_MS = 60_000;

async function runSkewed(t: TestContext, skewMs: number): Promise<void> {
  const env = skewedClockEnv(skewMs);
  const r = await rig(t, { env });
  start(r, env);
  await connected(r);
  const bundleId = await r.submit();
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 120_000);
  await until('the outbox to drain', async () => (await outboxFiles(r.setup)).length === 0, 30_000);
  const result = assertOneSignedResult(r, bundleId);

  const job = r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!);
  const stampOffset = Number(result.finishedAtMs) - job.finishedAt!;
  assert.ok(Math.abs(stampOffset - skewMs) < STAMP_TOLERANCE_MS, `the agent really ran ${skewMs} ms off: its result is stamped ${stampOffset} ms from the coordinator's clock`);
  assert.equal(job.attempt, 1, 'no lease lapsed: heartbeats kept it although the build outlasts the lease');
  assert.ok(LAB_OPTIONS.policy!.leaseMs! < 3_000, 'the slow build (3 s) outlasts the lease');
  const offers = r.lab.admin((store) => [...store.audit.rows()].filter((row) => jobsOfferedIn(row).includes(job.id)));
  assert.equal(offers.length, 1, 'the job was offered once: never lapsed and re-offered');
  const log = await agentLog(r.setup);
  assert.equal(log.filter((line) => (line.level as number) >= 50).length, 0, 'the agent logged no error');
  await assertNothingLeft(r);
}

test('an agent 10 minutes ahead of the coordinator runs its job with one lease and one result', { timeout: FAULT_TEST_TIMEOUT_MS }, (t) => runSkewed(t, TEN_MINUTES_MS));

test('an agent 10 minutes behind the coordinator runs its job with one lease and one result', { timeout: FAULT_TEST_TIMEOUT_MS }, (t) => runSkewed(t, -TEN_MINUTES_MS));
