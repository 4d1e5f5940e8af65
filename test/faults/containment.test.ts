// THREAT-MODEL 9 and 14 (promise 4) with a real agent process: revoking a connected agent closes its
// socket within a second, its queued job is never sent, later recipient lists leave it out, and it
// stops for good; withdrawing an embargo mid-build cancels the job and wipes its plaintext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { jobsOfferedIn } from '../../coordinator/store/dispatch.js';
import { verifySignedRecipients } from '../../shared/recipients.js';
import { connectAs, declaration, enrol, issueToken } from '../support/coordinator-lab.js';
import { until } from '../support/demo-job.js';
import { agentLog } from '../support/agent-process.js';
import { AGENT, assertNothingLeft, buildRunning, connected, DEMO_EMBARGO, demoPatchLines, FAULT_TEST_TIMEOUT_MS, filesHolding, outboxFiles, rig, start } from '../support/agent-rig.js';

/** The revocation reaches a running coordinator through its change poll (200 ms) and closes at once. */
const REVOCATION_CLOSE_MS = 1_000;
/** Slack over the promise for a loaded 2-core machine, as in the integration test. */
const SCHEDULING_SLACK_MS = 500;

test('revoking a connected agent closes it within a second, stops it for good, sends no queued job and leaves it out of recipient lists', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const r = await rig(t);
  await enrol(r.lab, 'agent', issueToken(r.lab, 'agent', 'lab-2', ['demo']), declaration(['ringbuf']));
  const agent = start(r);
  await connected(r);
  const running = await r.submit();
  await buildRunning(r.setup);
  const queued = await r.submit();
  const queuedJob = r.lab.admin((store) => store.jobs.byBundle(queued)[0]!);
  assert.equal(queuedJob.state, 'queued', 'the agent runs one job at a time: the second waits');

  const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
  const revokedAt = Date.now();
  r.lab.admin((store) => store.revoke(AGENT, { actor: 'admin:test', now: Date.now() }));
  await until('the connection to close', () => !r.lab.coordinator.hub.registry.isConnected(AGENT), 10_000);
  const closedAfter = Date.now() - revokedAt;
  assert.ok(closedAfter < REVOCATION_CLOSE_MS + SCHEDULING_SLACK_MS, `closed after ${closedAfter} ms`);
  assert.notEqual(await exited, 0, 'the agent stops: a revocation is not retried');

  const refusal = (await agentLog(r.setup)).find((line) => line.msg === 'coordinator refused this agent; not retrying');
  assert.equal(refusal?.code, 'REVOKED', 'the agent logs why it stopped');
  assert.match(String(refusal?.err), /revoked/);
  const jobs = r.lab.admin((store) => [store.jobs.byBundle(running)[0]!, store.jobs.get(queuedJob.id)!]);
  assert.deepEqual(jobs.map((job) => job.state), ['cancelled', 'cancelled']);
  const offered = r.lab.admin((store) => [...store.audit.rows()].flatMap(jobsOfferedIn));
  assert.ok(!offered.includes(queuedJob.id), 'the queued job was never offered');
  assert.equal((await agentLog(r.setup)).filter((line) => line.jobId === queuedJob.id).length, 0, 'the agent never heard of it');
  assert.deepEqual(await outboxFiles(r.setup), [], 'no result of a cancelled job');
  assert.deepEqual(await filesHolding(join(r.setup.stateDir, 'workspace'), await demoPatchLines()), [], 'the running job\'s plaintext is wiped');

  const { channel, server } = await connectAs(r.lab, r.maintainer, 'maintainer');
  t.after(() => channel.close());
  const nonce = Buffer.alloc(32, 9);
  const reply = await channel.request({ recipientsRequest: { embargo: DEMO_EMBARGO, trees: ['ringbuf'], nonce } });
  const list = verifySignedRecipients(reply.recipients!, { coordinator: server, embargo: DEMO_EMBARGO, nonce });
  assert.deepEqual(list.agents.map((a) => a.name), ['lab-2'], 'a later bundle is sealed for the other agent only');
  await assertNothingLeft(r);
});

test('withdrawing the embargo mid-build cancels the job on the agent and wipes its workspace', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const r = await rig(t);
  start(r);
  await connected(r);
  const bundleId = await r.submit();
  await buildRunning(r.setup);
  const workspace = join(r.setup.stateDir, 'workspace');
  const secrets = await demoPatchLines();
  assert.ok((await filesHolding(workspace, secrets)).length > 0, 'the patched tree is there while the job runs');

  r.lab.admin((store) => store.withdrawEmbargo(DEMO_EMBARGO, { actor: 'admin:test', now: Date.now() }));
  const cancelled = await until('the agent to cancel the job', async () => (await agentLog(r.setup)).find((line) => line.msg === 'job cancelled; workspace wiped, no result'), 30_000);
  assert.match(String(cancelled.reason), /embargo withdrawn/, 'the agent logs the coordinator\'s reason');
  assert.equal(r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state), 'cancelled');
  assert.deepEqual(await filesHolding(workspace, secrets), [], 'no file of the workspace holds a line of the series');
  assert.deepEqual(await outboxFiles(r.setup), [], 'a cancelled job leaves no result');
  assert.equal(r.lab.admin((store) => store.results.byBundle(bundleId)).length, 0);
  assert.equal(r.lab.coordinator.hub.registry.isConnected(AGENT), true, 'the agent stays connected for other work');
  const status = r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.status);
  assert.notEqual(status, 'FAIL', 'a withdrawal is not a failure of the series');
  await assertNothingLeft(r);
});
