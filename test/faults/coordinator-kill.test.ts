// THREAT-MODEL 12 (and promise 3) with a real `coordinator serve` process: SIGKILL while a bundle's
// offers go out, and in the middle of a burst of signed results. Restarted on the same data: no job
// lost, every acknowledged result kept, every result counted exactly once, the audit chain intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAuditIntact } from '../../coordinator/admin/audit.js';
import { startCoordinatorProcess, type CoordinatorProcess } from '../support/coordinator-process.js';
import { until } from '../support/demo-job.js';
import { acceptFleetBundle, startFleet, type Fleet } from '../support/fleet-bundle.js';

const AGENTS = 30;
const TREES = ['t1', 't2', 't3', 't4', 't5'];
const JOBS = AGENTS * TREES.length;
const TEST_TIMEOUT_MS = 180_000;

/** Both coordinator runs started listening and logged no error, though the first was killed. */
async function assertCleanRestart(lab: CoordinatorProcess): Promise<void> {
  const lines = await lab.logLines();
  assert.equal(lines.filter((line) => line.msg === 'coordinator listening').length, 2);
  assert.deepEqual(lines.filter((line) => (line.level as number) >= 50).map((line) => line.msg), [], 'no error was logged');
}

/** Every job of the bundle is done with one stored result, signed and bound to it; the chain holds. */
function assertExactlyOnce(lab: CoordinatorProcess, fleet: Fleet, bundleId: string): void {
  const jobs = lab.admin((store) => store.jobs.byBundle(bundleId));
  assert.equal(jobs.length, JOBS, 'one job per agent and tree, none lost');
  assert.deepEqual(jobs.filter((job) => job.state !== 'done').map((job) => `${job.id} ${job.state}`), [], 'every job is done');
  const stored = lab.admin((store) => store.results.byBundle(bundleId));
  assert.equal(stored.length, JOBS, 'one stored result per job');
  assert.equal(new Set(stored.map((result) => result.jobId)).size, JOBS, 'no job counted twice');
  const byJob = new Map(stored.map((result) => [result.jobId, result]));
  for (const agent of fleet.agents) {
    for (const jobId of agent.offers.keys()) assert.equal(byJob.get(jobId)?.resultId, agent.resultOf(jobId).resultId, `job ${jobId} holds the result ${agent.name} signed`);
  }
  const verdict = lab.admin((store) => assertAuditIntact(store));
  assert.equal(verdict.problem, null);
}

function offersSeen(fleet: Fleet): number {
  return fleet.agents.reduce((n, agent) => n + agent.offers.size, 0);
}

test('a coordinator killed with SIGKILL while offering a bundle loses no job after restart', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startCoordinatorProcess(t);
  const fleet = await startFleet(lab, { count: AGENTS, trees: TREES });
  t.after(() => fleet.agents.forEach((agent) => agent.close()));
  const bundleId = await acceptFleetBundle(t, lab, fleet);
  await until('the first offer', () => offersSeen(fleet) > 0, 30_000);
  await lab.kill();
  const before = offersSeen(fleet);
  t.diagnostic(`offers received before SIGKILL: ${before} of ${JOBS}`);
  const states = lab.admin((store) => store.jobs.byBundle(bundleId).map((job) => job.state));
  assert.equal(states.length, JOBS, 'every job was stored before any was offered');

  await lab.restart();
  await Promise.all(fleet.agents.map((agent) => agent.connect(lab)));
  await until('every job offered', () => offersSeen(fleet) === JOBS, 60_000);
  for (const agent of fleet.agents) assert.deepEqual([...agent.offers.values()].map((offer) => offer.tree).sort(), TREES, `${agent.name} is offered each of its trees once`);
  await until('every offer accepted', () => lab.admin((store) => store.jobs.byBundle(bundleId).every((job) => job.state === 'running')), 60_000);
  for (const agent of fleet.agents) agent.submit({ all: true });
  await until('every result acknowledged', () => fleet.agents.every((agent) => agent.acks.size === agent.offers.size), 60_000);
  assertExactlyOnce(lab, fleet, bundleId);
  await assertCleanRestart(lab);
});

test('a coordinator killed with SIGKILL during a burst of results keeps every acknowledged one and counts each once', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startCoordinatorProcess(t);
  const fleet = await startFleet(lab, { count: AGENTS, trees: TREES });
  t.after(() => fleet.agents.forEach((agent) => agent.close()));
  const bundleId = await acceptFleetBundle(t, lab, fleet);
  await until('every job running', () => offersSeen(fleet) === JOBS && lab.admin((store) => store.jobs.byBundle(bundleId).every((job) => job.state === 'running')), 60_000);

  for (const agent of fleet.agents) agent.submit({ all: true });
  await until('a first share of acks', () => fleet.agents.reduce((n, agent) => n + agent.acks.size, 0) > 0, 30_000);
  await lab.kill();
  const acked = fleet.agents.flatMap((agent) => [...agent.acks.keys()]);
  t.diagnostic(`results acknowledged before SIGKILL: ${acked.length} of ${JOBS}`);
  const stored = new Set(lab.admin((store) => store.results.byBundle(bundleId)).map((result) => result.jobId));
  assert.deepEqual(acked.filter((jobId) => !stored.has(jobId)), [], 'every acknowledged result was durable before its ack');

  await lab.restart();
  await Promise.all(fleet.agents.map((agent) => agent.connect(lab)));
  for (const agent of fleet.agents) agent.submit({ all: true });
  await until('every result acknowledged again', () => fleet.agents.every((agent) => [...agent.acks.values()].filter((ack) => ack.count >= 1).length === agent.offers.size && agent.acks.size === agent.offers.size), 60_000);
  await until('each resent result answered', () => fleet.agents.every((agent) => [...agent.offers.keys()].every((jobId) => (agent.acks.get(jobId)?.count ?? 0) >= (acked.includes(jobId) ? 2 : 1))), 60_000);
  for (const jobId of acked) {
    const agent = fleet.agents.find((a) => a.offers.has(jobId))!;
    assert.ok(agent.acks.get(jobId)!.duplicates >= 1, `the resent result of ${jobId} is acknowledged as a duplicate`);
  }
  assertExactlyOnce(lab, fleet, bundleId);
  await assertCleanRestart(lab);
  const lines = await lab.logLines();
  const accepted = lines.filter((line) => line.msg === 'result received' && line.outcome === 'accepted');
  assert.equal(new Set(accepted.map((line) => line.jobId)).size, accepted.length, 'the log shows no job accepted twice across both runs');
});
