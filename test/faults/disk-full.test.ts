// THREAT-MODEL 19 with a real full disk: the agent's state directory is a small tmpfs mounted by the
// test (we run as root). Filled to the brim, the job's stages fail with ENOSPC: the result says
// ERROR (infrastructure), never FAIL, and is stored; the coordinator retries; once space is freed a
// retry passes, and every attempt's result arrived exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { verifySignedResultBytes } from '../../shared/result.js';
import { detailedStages, openResultDetails } from '../../shared/result-details.js';
import { agentLog } from '../support/agent-process.js';
import { until } from '../support/demo-job.js';
import { mountTmpfs } from '../support/tmpfs.js';
import { AGENT, assertNothingLeft, connected, FAULT_TEST_TIMEOUT_MS, LAB_OPTIONS, outboxFiles, rig, start } from '../support/agent-rig.js';

/** The state directory's file system: room for keys, outbox and results, not for a clone and a build. */
const TMPFS_SIZE = '4m';
/** Left free after filling: a signed result with its sealed logs fits, the patched tree does not. */
const RESERVE_BYTES = 48 * 1024;
/** Enough retries that one runs after the test frees space: on a full disk an attempt fails within milliseconds. */
const ERROR_RETRIES = 100;

async function fill(dir: string): Promise<string> {
  const { bavail, bsize } = await statfs(dir);
  const filler = join(dir, 'filler');
  await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - RESERVE_BYTES)));
  return filler;
}

test('a full state directory makes the job ERROR, not FAIL; it is retried and passes once space is freed', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const stateDir = await mountTmpfs(t, { size: TMPFS_SIZE, name: 'state' });
  const r = await rig(t, { stateDir, stages: { build: 'make' }, lab: { ...LAB_OPTIONS, policy: { ...LAB_OPTIONS.policy, errorRetries: ERROR_RETRIES } } });
  start(r);
  await connected(r);
  const filler = await fill(stateDir);
  const bundleId = await r.submit();
  const first = await until('the first result', () => r.lab.admin((store) => store.results.byBundle(bundleId)).at(0), 60_000);
  await rm(filler);
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 120_000);
  await until('the outbox to drain', async () => (await outboxFiles(r.setup)).length === 0, 30_000);

  const job = r.lab.admin((store) => store.jobs.byBundle(bundleId)[0]!);
  const results = r.lab.admin((store) => store.results.byBundle(bundleId));
  t.diagnostic(`attempts: ${results.map((result) => `${result.attempt} ${result.status}`).join(', ')}`);
  assert.equal(first.status, 'ERROR', 'a full disk is the machine\'s fault');
  const agentKey = r.lab.admin((store) => store.parties.byName(AGENT)!.signKey);
  const signed = verifySignedResultBytes(first.signed, agentKey).result;
  const failed = detailedStages(signed, await openResultDetails(signed, r.maintainer)).find((s) => s.status === darkroom.v1.Status.ERROR);
  assert.match(failed?.reason ?? '', /disk space|ENOSPC|No space left/, `the ERROR stage (${failed?.name}) says the disk is full, in the details sealed to the maintainer`);
  assert.equal(results.filter((result) => result.status === 'FAIL').length, 0, 'never FAIL');
  assert.deepEqual(results.map((result) => result.attempt), results.map((_, i) => i + 1), 'each attempt\'s result stored once, none lost');
  assert.equal(job.status, 'PASS', 'a retry after space was freed passes');
  assert.equal(job.attempt, results.length);
  const log = await agentLog(r.setup);
  assert.ok(log.some((line) => /ENOSPC|No space left on device|out of disk space/.test(JSON.stringify(line))), 'the agent logs the full disk');
  await assertNothingLeft(r);
});
