// The load run's small profile: light agents in two processes, one bundle to all, the
// coordinator process killed with SIGKILL and started again, once while the offers go out and
// once while results come in; the store must hold every result exactly once (THREAT-MODEL 12,
// promise 3). `npm run bench` runs the same at 1,000 agents.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { FleetStatus } from '../support/light-fleet.js';
import { submittedLoadRun } from '../support/load-run.js';

const AGENTS = 150;
const TREE = 'linux-6.1.y';
/** Each job "works" this long, so results keep arriving before and after the kill. */
const WORK_MS: [number, number] = [300, 4_000];

async function killedMidRun(t: TestContext, killWhen: { what: string; done: (status: FleetStatus) => boolean }): Promise<FleetStatus> {
  const { run, submitted } = await submittedLoadRun(t, { prefix: 'dr-load-', agents: AGENTS, tree: TREE, workMs: WORK_MS });
  assert.equal(submitted.jobs, AGENTS, 'one job per agent');

  const atKill = await run.fleet.waitFor(killWhen.what, killWhen.done);
  await run.killAndRestart();
  assert.ok(atKill.acked < AGENTS, `the kill came before the last result (${atKill.acked} of ${AGENTS} acknowledged)`);

  const end = await run.fleet.waitFor('every result acknowledged', (s) => s.acked === AGENTS);
  assert.deepEqual(end.errors, [], 'no light agent saw an error');
  assert.ok(end.connects >= 2 * AGENTS, `every agent reconnected to the restarted coordinator (${end.connects} connects)`);
  assert.deepEqual(run.count(submitted.bundleId), {
    jobs: AGENTS, done: AGENTS, results: AGENTS, jobsWithResult: AGENTS, acceptedAudits: AGENTS, lost: 0, doubleCounted: 0,
  });
  return atKill;
}

test(`${AGENTS} light agents, coordinator SIGKILLed and restarted mid-ingest: no result lost or counted twice`, { timeout: 240_000 }, async (t) => {
  await killedMidRun(t, { what: 'a quarter of the results acknowledged', done: (s) => s.acked >= AGENTS / 4 });
});

test(`${AGENTS} light agents, coordinator SIGKILLed and restarted as the offers arrive: every job still runs, each result counted once`, { timeout: 240_000 }, async (t) => {
  const atKill = await killedMidRun(t, { what: 'the first offers received', done: (s) => s.offeredAgents > 0 });
  assert.equal(atKill.acked, 0, 'no result was in before the kill');
});
