// A build orphaned by kill -9 of its agent, with a grandchild in its group and one that left it
// with setsid: the restarted agent ends all of them (found from its private record, checked against
// pid reuse) before it wipes the workspace, and the job's one result still arrives. Orphans need an
// agent without the sandbox (`sandbox: none`): in the sandbox the kernel ends the whole job with
// the agent (bubblewrap's --die-with-parent and PID namespace), which the second test shows.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROCESSES_DIR_NAME } from '../../agent/job-processes.js';
import { isGone, readProcess, type ProcessEntry } from '../../agent/process/proc-table.js';
import { AGENT, rig, type Rig } from '../support/agent-rig.js';
import { until } from '../support/demo-job.js';
import { killHard, processesUnder, startAgent } from '../support/agent-process.js';
import { filesBelow } from '../support/job-lab.js';

/** Two grandchildren that outlive any test unless killed, then the real build after a pause. */
const BUILD = 'sleep 600 & setsid sleep 601 & sleep 3 && make';
const GRANDCHILDREN = ['sleep 600', 'sleep 601'];
const TEST_TIMEOUT_MS = 180_000;

const stillThere = async (entry: ProcessEntry) => {
  const now = await readProcess(entry.pid);
  return !isGone(now) && now!.startTime === entry.startTime;
};

/**
 * A rig whose agent runs the build with its grandchildren, then is killed with SIGKILL mid-build;
 * resolves with the job's processes as they were (checked against pid reuse by start time).
 */
async function killMidBuild(t: TestContext, sandbox?: 'none'): Promise<{ r: Rig; bundleId: string; old: ProcessEntry[] }> {
  const r = await rig(t, { stages: { build: BUILD, ...(sandbox ? { sandbox } : {}) } });
  const { lab, setup, agents } = r;
  agents.push(startAgent(setup));
  await until('the agent to connect', () => lab.coordinator.hub.registry.isConnected(AGENT), 30_000);
  const bundleId = await r.submit();
  const running = await until('the build and both grandchildren to run', async () => {
    const found = (await processesUnder(setup.dir)).filter((p) => p.pid !== agents[0]!.pid);
    return GRANDCHILDREN.every((argv) => found.some((p) => p.argv.join(' ') === argv)) && found;
  }, 60_000);
  const old = (await Promise.all(running.map((p) => readProcess(p.pid)))).filter((entry): entry is ProcessEntry => !isGone(entry));
  t.after(async () => {
    for (const entry of old) if (await stillThere(entry)) process.kill(entry.pid, 'SIGKILL');
  });
  await killHard(agents[0]!);
  return { r, bundleId, old };
}

test('a build orphaned by SIGKILL of its agent, grandchildren and all, is ended on restart; the job still ends with one result', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { r: { lab, setup, agents }, bundleId, old } = await killMidBuild(t, 'none');
  const orphans = (await Promise.all(old.map(async (entry) => ((await stillThere(entry)) ? entry : undefined)))).filter(Boolean);
  assert.ok(orphans.length >= GRANDCHILDREN.length, 'the grandchildren outlive the killed agent');
  assert.ok((await filesBelow(join(setup.stateDir, PROCESSES_DIR_NAME))).length > 0, 'the running job\'s processes are on record');

  agents.push(startAgent(setup));
  await until('every process of the killed agent\'s job to be gone', async () => (await Promise.all(old.map(stillThere))).every((there) => !there), 60_000);
  await until('the job to finish', () => lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 120_000);
  const jobs = lab.admin((store) => store.jobs.byBundle(bundleId));
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.status, 'PASS', 'the job ran again cleanly on the restarted agent');
  assert.equal(lab.admin((store) => store.results.byBundle(bundleId)).length, 1, 'exactly one result is stored');

  const log = await readFile(join(setup.dir, 'agent.log'), 'utf8');
  const ended = log.indexOf('ended processes an earlier run of the agent left running');
  const wiped = log.indexOf('wiped a workspace left by an earlier run');
  assert.ok(ended >= 0, 'the restarted agent says it ended the leftovers');
  assert.ok(wiped < 0 || ended < wiped, 'the leftovers were ended before the workspace was wiped');

  const last = agents[1]!;
  const exited = new Promise((resolve) => last.once('exit', resolve));
  last.kill('SIGTERM');
  await exited;
  assert.deepEqual(await processesUnder(setup.dir), [], 'nothing the agents started is still running');
  assert.deepEqual(await filesBelow(join(setup.stateDir, PROCESSES_DIR_NAME)), [], 'no record is left once the job ended');
});

test('in the sandbox a SIGKILL of the agent ends its build and grandchildren with it; the restarted agent runs the job again and one result arrives', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { r: { lab, setup, agents }, bundleId, old } = await killMidBuild(t);
  await until('every process of the killed agent\'s job to end with it', async () => (await Promise.all(old.map(stillThere))).every((there) => !there), 10_000);

  agents.push(startAgent(setup));
  await until('the job to finish', () => lab.admin((store) => store.jobs.byBundle(bundleId)[0]!.state === 'done'), 120_000);
  assert.equal(lab.admin((store) => store.jobs.byBundle(bundleId))[0]!.status, 'PASS', 'the job ran again cleanly on the restarted agent');
  assert.equal(lab.admin((store) => store.results.byBundle(bundleId)).length, 1, 'exactly one result is stored');
});
