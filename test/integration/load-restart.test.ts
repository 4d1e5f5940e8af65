// The load run's small profile: light agents in two processes, one bundle to all, the
// coordinator process killed with SIGKILL while results come in and started again; the store must
// hold every result exactly once (THREAT-MODEL 12, promise 3). `npm run bench` runs it at 1,000.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startLoadRun } from '../support/load-run.js';

const AGENTS = 150;
const TREE = 'linux-6.1.y';
/** Each job "works" this long, so results keep arriving before and after the kill. */
const WORK_MS: [number, number] = [300, 4_000];

test(`${AGENTS} light agents, coordinator SIGKILLed and restarted mid-ingest: no result lost or counted twice`, { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-load-'));
  const run = await startLoadRun(dir, { agents: AGENTS, hosts: 2, trees: [TREE], concurrency: 1 });
  t.after(async () => {
    await run.close();
    await rm(dir, { recursive: true, force: true });
  });
  await run.fleet.connect();
  await run.fleet.configure({ workMs: WORK_MS });
  const submitted = await run.submit([TREE]);
  assert.equal(submitted.jobs, AGENTS, 'one job per agent');

  const atKill = await run.fleet.waitFor('a quarter of the results acknowledged', (s) => s.acked >= AGENTS / 4);
  await run.killAndRestart();
  assert.ok(atKill.acked < AGENTS, `the kill came before the last result (${atKill.acked} of ${AGENTS} acknowledged)`);

  const end = await run.fleet.waitFor('every result acknowledged', (s) => s.acked === AGENTS);
  assert.deepEqual(end.errors, [], 'no light agent saw an error');
  assert.ok(end.connects >= 2 * AGENTS, `every agent reconnected to the restarted coordinator (${end.connects} connects)`);
  assert.deepEqual(run.count(submitted.bundleId), {
    jobs: AGENTS, done: AGENTS, results: AGENTS, jobsWithResult: AGENTS, acceptedAudits: AGENTS, lost: 0, doubleCounted: 0,
  });
});
