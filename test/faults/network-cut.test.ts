// Promise 3 across network cuts: a real agent process talks to the coordinator through a loopback
// proxy that drops the connection in the middle of a frame: the job offer, a heartbeat during the
// build, and the signed result. The agent logs each cut, reconnects, and the result is stored once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentLog } from '../support/agent-process.js';
import { until } from '../support/demo-job.js';
import { CutProxy, type Cut } from '../support/cut-proxy.js';
import { assertNothingLeft, assertOneSignedResult, buildRunning, connected, FAULT_TEST_TIMEOUT_MS, outboxFiles, rig, start } from '../support/agent-rig.js';

/** Larger than any control frame (hello, heartbeat, progress, declaration): a job offer or a result. */
const BULK_FRAME_BYTES = 1_000;

test('connections cut mid-frame during the offer, the build and the result: the agent reconnects and the result is stored once', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  let proxy: CutProxy | null = null;
  const r = await rig(t, { url: async (lab) => (proxy = await CutProxy.start(t, { host: '127.0.0.1', port: lab.coordinator.port })).url });
  const cuts: Cut[] = [];
  const reconnected = async (after: number) => {
    await until('the agent to reconnect', () => proxy!.connections > after && r.lab.coordinator.hub.registry.isConnected('lab-1'), 60_000);
  };
  start(r);
  await connected(r);

  const offerCut = proxy!.cutNext({ direction: 'to-agent', minBytes: BULK_FRAME_BYTES });
  const bundleId = await r.submit();
  cuts.push(await offerCut);
  await reconnected(1);

  await buildRunning(r.setup);
  const buildCut = proxy!.cutNext({ direction: 'any' });
  cuts.push(await buildCut);
  const afterBuildCut = proxy!.connections;
  await reconnected(afterBuildCut);

  cuts.push(await proxy!.cutNext({ direction: 'to-coordinator', minBytes: BULK_FRAME_BYTES }));
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 90_000);
  await until('the outbox to drain', async () => (await outboxFiles(r.setup)).length === 0, 30_000);
  t.diagnostic(`cuts: ${cuts.map((c) => `${c.direction} ${c.forwardedBytes}/${c.chunkBytes} bytes`).join(', ')}; connections: ${proxy!.connections}`);

  for (const cut of cuts) assert.ok(cut.forwardedBytes < cut.chunkBytes, 'each cut ends a frame mid-way');
  assertOneSignedResult(r, bundleId);
  const log = await agentLog(r.setup);
  const closes = log.filter((line) => String(line.msg).startsWith('connection closed; will try again'));
  assert.ok(closes.length >= cuts.length, `each cut is logged as a transient close (${closes.length})`);
  assert.equal(log.filter((line) => String(line.msg).includes('not retrying')).length, 0, 'no cut is taken for a refusal');
  assert.ok(log.some((line) => line.msg === 'result sent'), 'the cut result was sent again from the outbox on reconnect');
  assert.ok(log.some((line) => line.msg === 'result acknowledged'), 'and acknowledged');
  await assertNothingLeft(r);
});
