// A fault-test rig: an in-process coordinator with short leases, one enrolled `darkroom agent`
// (a real process, started by the test) on the demo project that trusts the embargo's maintainer
// 'alice', and the demo embargo; plus the checks every agent fault test makes: one signed result,
// an intact audit chain, nothing left running.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { darkroom } from '../../proto/darkroom.js';
import { assertAuditIntact } from '../../coordinator/admin/audit.js';
import type { CoordinatorOptions } from '../../coordinator/server/coordinator.js';
import { OUTBOX_DIR_NAME } from '../../agent/daemon.js';
import { createDemoRepository, DEMO_PROJECT_DIR, DEMO_SERIES_DIR } from '../../maintainer/demo/project.js';
import { readHeader } from '../../shared/bundle/header.js';
import type { Identity } from '../../shared/identity.js';
import { verifySignedResultBytes } from '../../shared/result.js';
import { tempDir } from './bundle-fixture.js';
import { enrol, issueToken, startLab, type Lab, type LabAddress } from './coordinator-lab.js';
import { submitDemo, until } from './demo-job.js';
import { killHard, processesUnder, runCli, startAgent, writeAgentConfig, type AgentConfigOptions, type AgentSetup } from './agent-process.js';

/** Short leases so a vanished agent's job comes back within seconds, not a minute. */
export const LAB_OPTIONS: CoordinatorOptions = { policy: { leaseMs: 2_000 }, heartbeatIntervalMs: 500 };
/** A build slow enough to be caught running: a fault lands while it sleeps. */
export const SLOW_BUILD = 'sleep 3 && make';
export const AGENT = 'lab-1';
export const DEMO_EMBARGO = 'CVE-DEMO';
export const FAULT_TEST_TIMEOUT_MS = 180_000;

export interface Rig {
  lab: Lab;
  setup: AgentSetup;
  maintainer: Identity;
  /** Every agent process this test started, so none outlives it. */
  agents: ChildProcess[];
  /** Seals the demo series for the agent and accepts it; resolves with the bundle id. */
  submit(): Promise<string>;
}

export interface RigOptions {
  stages?: Pick<AgentConfigOptions, 'build' | 'boot' | 'sandbox'>;
  /** The URL the agent is configured with (a proxy in front of the lab); the lab's own when absent. */
  url?: (lab: Lab) => string | Promise<string>;
  stateDir?: string;
  workspaceTmpfs?: string;
  /** Added to the environment of `agent enroll` and `agent run`. */
  env?: Record<string, string>;
  lab?: CoordinatorOptions;
}

/** A lab with short leases, an enrolled agent (config only, not started), and the demo embargo. */
export async function rig(t: TestContext, options: RigOptions = {}): Promise<Rig> {
  const lab = await startLab(t, options.lab ?? LAB_OPTIONS);
  const dir = await tempDir(t, 'dr-fault-');
  const repo = await createDemoRepository(join(dir, 'ringbuf'));
  const maintainer = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  const setup = await writeAgentConfig(dir, {
    url: (await options.url?.(lab)) ?? lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, trust: [maintainer], name: AGENT, tree: repo.dir, hardwareClass: 'x86_64/Test/Box',
    ...(options.stateDir ? { stateDir: options.stateDir } : {}), ...(options.workspaceTmpfs ? { workspaceTmpfs: options.workspaceTmpfs } : {}), ...(options.stages ?? { build: SLOW_BUILD }),
  });
  const enrolled = await runCli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', AGENT, ['demo'])], options.env);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  lab.admin((store) => store.write(() => store.embargoes.create({ name: DEMO_EMBARGO, testers: '@demo', maintainers: 'alice', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin:test', now: Date.now() })));
  const agents: ChildProcess[] = [];
  t.after(async () => {
    for (const agent of agents) await killHard(agent);
  });
  return { lab, setup, maintainer, agents, submit: () => submitDemo(t, lab, { maintainer, agents: [AGENT] }) };
}

/** Starts the rig's agent process (again), with the rig's environment. */
export function start(r: Pick<Rig, 'setup' | 'agents'>, env: Record<string, string> = {}): ChildProcess {
  const agent = startAgent(r.setup, { env });
  r.agents.push(agent);
  return agent;
}

export function connected(r: Pick<Rig, 'lab'>): Promise<true> {
  return until('the agent to connect', () => r.lab.coordinator.hub.registry.isConnected(AGENT), 30_000);
}

/** Waits until `command` runs below the agent's directory (or `dir`, where its workspace lives). */
export function running(setup: AgentSetup, command: string, dir = setup.dir) {
  return until(`'${command}' to run`, async () => (await processesUnder(dir)).find((p) => p.argv.join(' ').includes(command)), 60_000);
}

export const buildRunning = (setup: AgentSetup, dir = setup.dir) => running(setup, SLOW_BUILD, dir);

export async function outboxFiles(setup: AgentSetup): Promise<string[]> {
  return (await readdir(join(setup.stateDir, OUTBOX_DIR_NAME)).catch(() => [] as string[])).filter((name) => name.endsWith('.result'));
}

/** The job is done, one result with `status` signed by the agent for the sealed bundle, and the chain holds. */
export function assertOneSignedResult(r: { lab: LabAddress }, bundleId: string, status = 'PASS'): darkroom.v1.Result {
  const { lab } = r;
  const jobs = lab.admin((store) => store.jobs.byBundle(bundleId));
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.state, 'done');
  assert.equal(jobs[0]!.status, status);
  const stored = lab.admin((store) => store.results.byBundle(bundleId));
  assert.equal(stored.filter((s) => s.status === status).length, 1, `exactly one ${status} result is stored`);
  const agentKey = lab.admin((store) => store.parties.byName(AGENT)!.signKey);
  const { result } = verifySignedResultBytes(stored.at(-1)!.signed, agentKey);
  assert.equal(darkroom.v1.Status[result.status], status);
  assert.equal(result.jobId, jobs[0]!.id);
  const header = lab.admin((store) => store.bundles.get(bundleId)!.header);
  assert.equal(result.bundleId, readHeader(header).bundleId, 'the result names the bundle of the sealed header');
  const verdict = lab.admin((store) => assertAuditIntact(store));
  assert.ok(verdict.checked > 0);
  assert.equal(verdict.problem, null);
  return result;
}

/** Stops the agent politely and checks that nothing it started is still running. */
export async function assertNothingLeft(r: Pick<Rig, 'setup' | 'agents'>): Promise<void> {
  for (const agent of r.agents) {
    if (agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
  }
  assert.deepEqual(await processesUnder(r.setup.dir), [], 'no agent or build process outlives the agent');
}

/**
 * The lines the demo series adds (12 characters or more) that the unpatched project does not hold:
 * the plaintext that must not outlive a job.
 */
export async function demoPatchLines(): Promise<string[]> {
  const names = (await readdir(DEMO_SERIES_DIR)).filter((n) => n.endsWith('.patch'));
  const added = (await Promise.all(names.map((n) => readFile(join(DEMO_SERIES_DIR, n), 'utf8')))).flatMap((text) => text.split('\n'))
    .filter((l) => /^\+[^+]/.test(l)).map((l) => l.slice(1).trim()).filter((l) => l.length >= 12);
  const base = await filesHolding(DEMO_PROJECT_DIR, added);
  const baseText = (await Promise.all(base.map((path) => readFile(path, 'utf8')))).join('\n');
  const secret = added.filter((line) => !baseText.includes(line));
  assert.ok(secret.length > 5, 'the series adds lines the project does not have');
  return secret;
}

/** Files below `dir` whose bytes contain any of `needles` (git's compressed objects never match). */
export async function filesHolding(dir: string, needles: readonly string[]): Promise<string[]> {
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile());
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path).catch(() => null);
    if (bytes && needles.some((needle) => bytes.includes(needle))) found.push(path);
  }
  return found;
}
