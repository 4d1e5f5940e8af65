// Threat model item 11 with real processes and sockets: an agent killed with SIGKILL mid-build,
// mid-boot, and after its result reached the outbox but before the coordinator acknowledged it. On
// restart the job ends with exactly one stored, signed result, the outbox drains, and the audit
// chain holds.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { darkroom } from '../../proto/darkroom.js';
import { assertAuditIntact } from '../../coordinator/admin/audit.js';
import type { CoordinatorOptions } from '../../coordinator/server/coordinator.js';
import { OUTBOX_DIR_NAME } from '../../agent/daemon.js';
import { createDemoRepository } from '../../maintainer/demo/project.js';
import { readHeader } from '../../shared/bundle/header.js';
import { verifySignedResultBytes } from '../../shared/result.js';
import { tempDir } from '../support/bundle-fixture.js';
import { enrol, issueToken, restartCoordinator, startLab, stopCoordinator, type Lab } from '../support/coordinator-lab.js';
import { submitDemo, until } from '../support/demo-job.js';
import { killHard, processesUnder, runCli, startAgent, writeAgentConfig, type AgentSetup } from '../support/agent-process.js';

/** Short leases so a vanished agent's job comes back within seconds, not a minute. */
const LAB_OPTIONS: CoordinatorOptions = { policy: { leaseMs: 2_000 }, heartbeatIntervalMs: 500 };
/** A build slow enough to be caught running: the kill lands while it sleeps. */
const SLOW_BUILD = 'sleep 3 && make';
/** A boot command slow enough to be caught running. */
const SLOW_BOOT = 'sleep 3 && echo booted';
const AGENT = 'lab-1';
const TEST_TIMEOUT_MS = 180_000;

interface Rig {
  lab: Lab;
  setup: AgentSetup;
  bundleId: string;
  /** Every agent process this test started, so none outlives it. */
  agents: ChildProcess[];
}

/** A lab with short leases, an enrolled agent (config only, not started), and the demo embargo. */
async function rig(t: TestContext, stages: { build?: string; boot?: string } = { build: SLOW_BUILD }): Promise<Omit<Rig, 'bundleId'> & { submit(): Promise<string> }> {
  const lab = await startLab(t, LAB_OPTIONS);
  const dir = await tempDir(t, 'dr-kill-');
  const repo = await createDemoRepository(join(dir, 'ringbuf'));
  const setup = await writeAgentConfig(dir, { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, name: AGENT, tree: repo.dir, hardwareClass: 'x86_64/Test/Box', ...stages });
  const enrolled = await runCli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', AGENT, ['demo'])]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  const maintainer = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  lab.admin((store) => store.write(() => store.embargoes.create({ name: 'CVE-DEMO', testers: '@demo', maintainers: 'alice', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin:test', now: Date.now() })));
  const agents: ChildProcess[] = [];
  t.after(async () => {
    for (const agent of agents) await killHard(agent);
  });
  return { lab, setup, agents, submit: () => submitDemo(t, lab, { maintainer, agents: [AGENT] }) };
}

function start(r: Pick<Rig, 'setup' | 'agents'>): ChildProcess {
  const agent = startAgent(r.setup);
  r.agents.push(agent);
  return agent;
}

/** Waits until `command` runs below the agent's directory. */
function running(setup: AgentSetup, command: string) {
  return until(`'${command}' to run`, async () => (await processesUnder(setup.dir)).find((p) => p.argv.join(' ').includes(command)), 60_000);
}

const buildRunning = (setup: AgentSetup) => running(setup, SLOW_BUILD);

async function outboxFiles(setup: AgentSetup): Promise<string[]> {
  return (await readdir(join(setup.stateDir, OUTBOX_DIR_NAME)).catch(() => [] as string[])).filter((name) => name.endsWith('.result'));
}

/** The job is done, one PASS result signed by the agent for the sealed bundle, and the chain holds. */
function assertOneSignedPass(r: Rig): void {
  const { lab, bundleId } = r;
  const jobs = lab.admin((store) => store.jobs.byBundle(bundleId));
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.state, 'done');
  assert.equal(jobs[0]!.status, 'PASS');
  const stored = lab.admin((store) => store.results.byBundle(bundleId));
  assert.equal(stored.length, 1, 'exactly one result is stored');
  const agentKey = lab.admin((store) => store.parties.byName(AGENT)!.signKey);
  const { result } = verifySignedResultBytes(stored[0]!.signed, agentKey);
  assert.equal(darkroom.v1.Status[result.status], 'PASS');
  assert.equal(result.jobId, jobs[0]!.id);
  const header = lab.admin((store) => store.bundles.get(bundleId)!.header);
  assert.equal(result.bundleId, readHeader(header).bundleId, 'the result names the bundle of the sealed header');
  assert.equal(bundleId, readHeader(header).bundleId);
  const verdict = lab.admin((store) => assertAuditIntact(store));
  assert.ok(verdict.checked > 0);
  assert.equal(verdict.problem, null);
}

/** Stops the agent politely and checks that nothing it started is still running. */
async function assertNothingLeft(r: Pick<Rig, 'setup' | 'agents'>): Promise<void> {
  for (const agent of r.agents) {
    if (agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
  }
  assert.deepEqual(await processesUnder(r.setup.dir), [], 'no agent or build process outlives the agent');
}

test('an agent killed with SIGKILL mid-build runs the job again after restart and the result is stored once', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const base = await rig(t);
  const first = start(base);
  await until('the agent to connect', () => base.lab.coordinator.hub.registry.isConnected(AGENT), 20_000);
  const r: Rig = { ...base, bundleId: await base.submit() };
  await buildRunning(r.setup);
  await killHard(first);
  assert.equal(r.lab.admin((store) => store.results.byBundle(r.bundleId)).length, 0, 'no result before the restart');

  start(r);
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(r.bundleId)[0]!.state === 'done'), 120_000);
  await until('the outbox to drain', async () => (await outboxFiles(r.setup)).length === 0, 20_000);
  assertOneSignedPass(r);
  await assertNothingLeft(r);
});

test('an agent killed with SIGKILL mid-boot runs the job again after restart and the result is stored once', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const base = await rig(t, { boot: SLOW_BOOT });
  const first = start(base);
  await until('the agent to connect', () => base.lab.coordinator.hub.registry.isConnected(AGENT), 20_000);
  const r: Rig = { ...base, bundleId: await base.submit() };
  await running(r.setup, SLOW_BOOT);
  await killHard(first);
  assert.equal(r.lab.admin((store) => store.results.byBundle(r.bundleId)).length, 0, 'no result before the restart');

  start(r);
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(r.bundleId)[0]!.state === 'done'), 120_000);
  await until('the outbox to drain', async () => (await outboxFiles(r.setup)).length === 0, 20_000);
  assertOneSignedPass(r);
  const stages = r.lab.admin((store) => store.results.byBundle(r.bundleId))[0]!.stages as Array<{ name: string; status: string }>;
  assert.equal(stages.find((s) => s.name === 'boot')?.status, 'PASS', 'the boot ran to the end on the second start');
  await assertNothingLeft(r);
});

test('a result written to the outbox but never acknowledged is delivered once after SIGKILL and restarts', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const base = await rig(t);
  const first = start(base);
  await until('the agent to connect', () => base.lab.coordinator.hub.registry.isConnected(AGENT), 20_000);
  const r: Rig = { ...base, bundleId: await base.submit() };
  await buildRunning(r.setup);
  await stopCoordinator(r.lab);
  const [pending] = await until('the result in the outbox', async () => { const files = await outboxFiles(r.setup); return files.length > 0 && files; }, 60_000);
  await killHard(first);
  assert.match(pending!, /\.1\.result$/, 'the first attempt\'s result waits in the outbox');
  assert.equal(r.lab.admin((store) => store.results.byBundle(r.bundleId)).length, 0, 'the coordinator never saw it');

  await restartCoordinator(r.lab, LAB_OPTIONS);
  start(r);
  await until('the job to finish', () => r.lab.admin((store) => store.jobs.byBundle(r.bundleId)[0]!.state === 'done'), 60_000);
  await until('the outbox to drain', async () => (await outboxFiles(r.setup)).length === 0, 20_000);
  assertOneSignedPass(r);
  assert.equal(r.lab.admin((store) => store.results.byBundle(r.bundleId))[0]!.attempt, 1, 'the stored result is the one from the outbox');
  await assertNothingLeft(r);
});
