// A load run: `darkroom coordinator serve` as a child process, light agents in a few more, all
// enrolled with one-time tokens; a maintainer who seals and submits real bundles to every agent;
// and the count, from the coordinator's own store, of results lost or counted twice.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCoordinator } from '../../coordinator/admin/init.js';
import { Store } from '../../coordinator/store/store.js';
import { connectMaintainer, enrolMaintainer } from '../../maintainer/connection.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { submitBundle } from '../../maintainer/submit.js';
import { fingerprint, readIdentity } from '../../shared/identity.js';
import { silentLogger } from '../../shared/log.js';
import { approveAgents } from './approvals.js';
import { smallPatch } from './bundle-fixture.js';
import { startCoordinatorChild, type CoordinatorChild } from './coordinator-child.js';
import { LIGHT_RECONNECT_MS } from './light-agent.js';
import { LightFleet } from './light-fleet.js';
import { monotonicMs } from './load-clock.js';
import { timedConnection } from './timed-connection.js';

export const LOAD_EMBARGO = 'cve-load';
const LOAD_GROUP = 'load-lab';
const MAINTAINER = 'load-maintainer';
const TOKEN_TTL_MS = 3_600_000;
const EMBARGO_MS = 86_400_000;

export interface LoadOptions {
  agents: number;
  /** Child processes the light agents are spread over. */
  hosts: number;
  /** Trees every agent declares; a bundle may target any of them. */
  trees: string[];
  /** Jobs each agent takes at once. */
  concurrency: number;
  /** The coordinator's log level (its logs go to DIR/coordinator.log). */
  logLevel?: string;
  /** Arguments for the coordinator's node, e.g. ['--cpu-prof', '--cpu-prof-dir', DIR]. */
  coordinatorNodeArgs?: string[];
  /** Serve /metrics from the coordinator (CoordinatorChild.metricsUrl). */
  metrics?: boolean;
}

export interface Submission {
  bundleId: string;
  jobs: number;
  /** Monotonic ms when the final UploadChunk was handed to the socket, and when it was answered. */
  lastChunkSentAt: number;
  lastChunkAnsweredAt: number;
}

/** What the coordinator's store says about one bundle's jobs and results. */
export interface ExactlyOnce {
  jobs: number;
  done: number;
  /** Result rows stored, and the distinct jobs they belong to. */
  results: number;
  jobsWithResult: number;
  /** 'result.accepted' audit rows: each one is a result counted. */
  acceptedAudits: number;
  lost: number;
  doubleCounted: number;
}

export interface LoadRun {
  dir: string;
  dataDir: string;
  coordinator: CoordinatorChild;
  fleet: LightFleet;
  /** RSS of the coordinator with no agent connected, in KiB. */
  idleRssKiB: number;
  submit(trees: string[]): Promise<Submission>;
  /** SIGKILL of the coordinator, then a new one on the same data and port. */
  killAndRestart(): Promise<void>;
  count(bundleId: string): ExactlyOnce;
  close(): Promise<void>;
}

function issueTokens(dataDir: string, agents: number): { agentTokens: string[]; maintainerToken: string } {
  const store = Store.open(dataDir);
  try {
    const now = Date.now();
    return store.write(() => ({
      agentTokens: Array.from({ length: agents }, (_, i) => store.tokens.issue({ role: 'agent', name: `light-${i.toString().padStart(4, '0')}`, groups: [LOAD_GROUP], ttlMs: TOKEN_TTL_MS }, now).token),
      maintainerToken: store.tokens.issue({ role: 'maintainer', name: MAINTAINER, groups: [], ttlMs: TOKEN_TTL_MS }, now).token,
    }));
  } finally {
    store.close();
  }
}

/** Opens the embargo to the fleet, and has the maintainer approve every agent of it. */
async function createEmbargo(dataDir: string, home: MaintainerHome): Promise<void> {
  const store = Store.open(dataDir);
  try {
    const now = Date.now();
    store.write(() => store.embargoes.create({ name: LOAD_EMBARGO, testers: `@${LOAD_GROUP}`, maintainers: MAINTAINER, until: new Date(now + EMBARGO_MS).toISOString() }, { actor: 'admin', now }));
    await approveAgents(home, store.parties.list('agent'));
  } finally {
    store.close();
  }
}

function countResults(dataDir: string, bundleId: string): ExactlyOnce {
  const store = Store.open(dataDir);
  try {
    const jobs = store.jobs.byBundle(bundleId);
    const results = store.results.byBundle(bundleId);
    const jobsWithResult = new Set(results.map((r) => r.jobId)).size;
    const audits = [...store.audit.rows()].filter((row) => row.action === 'result.accepted' && (JSON.parse(row.detailsJson) as { bundle?: string }).bundle === bundleId);
    const auditedJobs = new Set(audits.map((row) => row.subject)).size;
    return {
      jobs: jobs.length,
      done: jobs.filter((j) => j.state === 'done').length,
      results: results.length,
      jobsWithResult,
      acceptedAudits: audits.length,
      lost: jobs.length - jobsWithResult,
      doubleCounted: (results.length - jobsWithResult) + (audits.length - auditedJobs),
    };
  } finally {
    store.close();
  }
}

/**
 * A test's load run in a temporary directory removed after it: `agents` light agents on two hosts,
 * one tree, one job at a time each, every job working for a time drawn from `workMs`, and one
 * bundle submitted to them all.
 */
export async function submittedLoadRun(t: { after: (fn: () => Promise<void>) => void }, options: { prefix: string; agents: number; tree: string; workMs: [number, number] }): Promise<{ run: LoadRun; submitted: Submission }> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix));
  const run = await startLoadRun(dir, { agents: options.agents, hosts: 2, trees: [options.tree], concurrency: 1 });
  t.after(async () => {
    await run.close();
    await rm(dir, { recursive: true, force: true });
  });
  await run.fleet.connect();
  await run.fleet.configure({ workMs: options.workMs });
  return { run, submitted: await run.submit([options.tree]) };
}

/** Everything up: coordinator, `agents` light agents enrolled and connected, the maintainer enrolled. */
export async function startLoadRun(dir: string, options: LoadOptions): Promise<LoadRun> {
  const dataDir = join(dir, 'coordinator');
  await initCoordinator(dataDir);
  const { agentTokens, maintainerToken } = issueTokens(dataDir, options.agents);
  const childOptions = { ...(options.logLevel ? { logLevel: options.logLevel } : {}), ...(options.coordinatorNodeArgs ? { nodeArgs: options.coordinatorNodeArgs } : {}), metrics: options.metrics ?? false };
  let coordinator = await startCoordinatorChild(dataDir, { port: 0, ...childOptions });
  const idleRssKiB = await coordinator.rssKiB();
  const pinned = fingerprint(await readIdentity(dataDir));
  const fleet = LightFleet.start(options.hosts);
  const run: LoadRun = {
    dir, dataDir, coordinator, fleet, idleRssKiB,
    submit: async (trees) => submit(run, home, trees),
    killAndRestart: async () => {
      await coordinator.kill();
      coordinator = await startCoordinatorChild(dataDir, { port: coordinator.port, ...childOptions });
      run.coordinator = coordinator;
    },
    count: (bundleId) => countResults(dataDir, bundleId),
    close: async () => {
      await fleet.stop();
      await run.coordinator.stop();
    },
  };
  const home = new MaintainerHome(join(dir, 'maintainer'));
  try {
    await enrolMaintainer(home, { coordinator: coordinator.url, fingerprint: pinned, token: maintainerToken, logger: silentLogger });
    const trustedMaintainers = [fingerprint(await home.identity())];
    await fleet.enrol({ url: coordinator.url, fingerprint: pinned, trustedMaintainers, trees: options.trees, concurrency: options.concurrency, workMs: [0, 0], holdResults: false, reconnectMs: LIGHT_RECONNECT_MS }, agentTokens);
    await createEmbargo(dataDir, home);
  } catch (error) {
    await run.close();
    throw error;
  }
  return run;
}

let submissions = 0;

/** Seals a one-patch series per tree to every eligible agent and uploads it, as `darkroom submit`. */
async function submit(run: LoadRun, home: MaintainerHome, trees: string[]): Promise<Submission> {
  const targets = [];
  for (const tree of trees) {
    const series = join(run.dir, `series-${++submissions}`);
    await mkdir(series);
    await writeFile(join(series, '0001-fix.patch'), smallPatch(`load fix ${submissions}`));
    targets.push({ tree, base: 'v1.0', series });
  }
  const connection = await connectMaintainer(home, { logger: silentLogger });
  let lastChunkSentAt = 0;
  let lastChunkAnsweredAt = 0;
  try {
    const timed = timedConnection(connection, { sent: () => { lastChunkSentAt = monotonicMs(); }, answered: () => { lastChunkAnsweredAt = monotonicMs(); } });
    const submitted = await submitBundle(home, timed, { embargo: LOAD_EMBARGO, targets, workloads: [] });
    return { bundleId: submitted.bundleId, jobs: submitted.jobs, lastChunkSentAt, lastChunkAnsweredAt };
  } finally {
    connection.close();
  }
}
