// A coordinator in this process, a real `darkroom agent run` process enrolled with it on the demo
// C project, and a subscribed maintainer who submits the demo series: the agent benchmark's rig.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { darkroom } from '../proto/darkroom.js';
import { initCoordinator } from '../coordinator/admin/init.js';
import { startCoordinator, type RunningCoordinator } from '../coordinator/server/coordinator.js';
import { Store } from '../coordinator/store/store.js';
import { connectMaintainer, enrolMaintainer } from '../maintainer/connection.js';
import { createDemoRepository, DEMO_SERIES_DIR, DEMO_TREE, readSeriesBase, type DemoRepository } from '../maintainer/demo/project.js';
import { MaintainerHome } from '../maintainer/home.js';
import { submitBundle } from '../maintainer/submit.js';
import { silentLogger } from '../shared/log.js';
import { runCli, startAgent, writeAgentConfig, type AgentConfigOptions, type AgentSetup } from '../test/support/agent-process.js';
import { approveAgents } from '../test/support/approvals.js';
import { until } from '../test/support/demo-job.js';

const AGENT = 'lab-bench';
const MAINTAINER = 'bench-maintainer';
const EMBARGO = 'CVE-BENCH-AGENT';
const GROUP = 'bench';
const TOKEN_TTL_MS = 3_600_000;
const EMBARGO_MS = 86_400_000;
/** Start-up includes gathering the hardware profile, which can take seconds on a busy machine. */
const CONNECT_TIMEOUT_MS = 120_000;
/** Longest one benchmark job may take before the bench gives up. */
const JOB_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 10_000;

/** When the maintainer heard of a bundle's steps, in performance.now() milliseconds. */
export interface JobTimeline {
  submittedAt: number;
  applyStartedAt: number;
  lastStageFinishedAt: number;
  finishedAt: number;
  status: string;
  /** Each stage's time, from the maintainer hearing it start to hearing it finish, in milliseconds. */
  stageMs: Record<string, number>;
}

export interface AgentLab {
  dir: string;
  repo: DemoRepository;
  base: string;
  setup: AgentSetup;
  /** The running agent daemon. */
  agent: ChildProcess;
  /** Submits a series (default the demo series) and resolves when the maintainer hears that its job finished. */
  runJob(series?: string): Promise<JobTimeline>;
  close(): Promise<void>;
}

/** The agent's boot, workloads and build; the rig fills in coordinator, name and tree. */
export type LabAgentConfig = Omit<AgentConfigOptions, 'url' | 'fingerprint' | 'trust' | 'name' | 'tree'>;

/**
 * Timelines by bundle id, from the maintainer's notifications. Notifications of a bundle can
 * arrive before its submit call returns, so they are kept from the first one on.
 */
class Timelines {
  readonly #seen = new Map<string, Partial<JobTimeline>>();
  readonly #stageStarts = new Map<string, number>();
  readonly #waiters = new Map<string, (timeline: JobTimeline) => void>();

  note(notification: darkroom.v1.Notification.$Properties): void {
    if (!notification.bundleId) return;
    const timeline = this.#seen.get(notification.bundleId) ?? { stageMs: {} };
    this.#seen.set(notification.bundleId, timeline);
    const now = performance.now();
    const { NotificationKind, StageEvent } = darkroom.v1;
    if (notification.kind === NotificationKind.BUNDLE_SUBMITTED) timeline.submittedAt = now;
    const stageKey = `${notification.bundleId} ${notification.stage}`;
    if (notification.kind === NotificationKind.JOB_PROGRESS && notification.stageEvent === StageEvent.STAGE_STARTED) {
      if (notification.stage === 'apply') timeline.applyStartedAt = now;
      this.#stageStarts.set(stageKey, now);
    }
    if (notification.kind === NotificationKind.JOB_PROGRESS && notification.stageEvent === StageEvent.STAGE_FINISHED) {
      timeline.lastStageFinishedAt = now;
      const started = this.#stageStarts.get(stageKey);
      if (started !== undefined && notification.stage) timeline.stageMs![notification.stage] = now - started;
      this.#stageStarts.delete(stageKey);
    }
    if (notification.kind === NotificationKind.JOB_FINISHED) {
      timeline.finishedAt = now;
      timeline.status = darkroom.v1.Status[notification.status ?? 0] ?? String(notification.status);
      this.#waiters.get(notification.bundleId)?.(timeline as JobTimeline);
    }
  }

  /** Resolves when the bundle's job has finished (at once if it already has). */
  finished(bundleId: string): Promise<JobTimeline> {
    const known = this.#seen.get(bundleId);
    if (known?.finishedAt !== undefined) return Promise.resolve(known as JobTimeline);
    return new Promise((resolve) => this.#waiters.set(bundleId, resolve));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

export interface AgentLabOptions {
  /** Variables added to the agent daemon's environment, as its systemd unit sets them. */
  env?: Record<string, string>;
}

/** Everything below `dir`; the agent is started and connected when this resolves. */
export async function startAgentLab(dir: string, agentConfig: LabAgentConfig, options: AgentLabOptions = {}): Promise<AgentLab> {
  const dataDir = join(dir, 'coordinator');
  await initCoordinator(dataDir);
  const admin = Store.open(dataDir);
  const now = Date.now();
  const issue = (role: 'agent' | 'maintainer', name: string) => admin.write(() => admin.tokens.issue({ role, name, groups: [GROUP], ttlMs: TOKEN_TTL_MS }, now)).token;
  const coordinator: RunningCoordinator = await startCoordinator(dataDir, { host: '127.0.0.1', port: 0, logger: silentLogger });
  const repo = await createDemoRepository(join(dir, DEMO_TREE));
  const home = new MaintainerHome(join(dir, 'maintainer'));
  await enrolMaintainer(home, { coordinator: coordinator.url, fingerprint: coordinator.fingerprint, token: issue('maintainer', MAINTAINER), logger: silentLogger });
  const setup = await writeAgentConfig(dir, { url: coordinator.url, fingerprint: coordinator.fingerprint, trust: [await home.identity()], name: AGENT, tree: repo.dir, ...agentConfig });
  const enrolled = await runCli(['agent', 'enroll', '--config', setup.config, '--token', issue('agent', AGENT)]);
  if (enrolled.code !== 0) throw new Error(`Bench agent could not enrol (exit ${enrolled.code}): ${enrolled.stderr.trim()}`);
  admin.write(() => admin.embargoes.create({ name: EMBARGO, testers: AGENT, maintainers: MAINTAINER, until: new Date(now + EMBARGO_MS).toISOString() }, { actor: 'admin:bench', now }));
  await approveAgents(home, admin.parties.list('agent'));
  const connection = await connectMaintainer(home, { logger: silentLogger });
  await connection.channel.request({ subscribe: { all: true } });
  const timelines = new Timelines();
  connection.channel.handle((envelope) => {
    if (envelope.notification) timelines.note(envelope.notification);
  });

  const agent = startAgent(setup, { logLevel: 'info', ...(options.env ? { env: options.env } : {}) });
  const close = async () => {
    await stop(agent);
    connection.close();
    await coordinator.close();
    admin.close();
  };
  try {
    await until('the bench agent to connect', () => coordinator.hub.registry.isConnected(AGENT), CONNECT_TIMEOUT_MS);
  } catch (error) {
    await close();
    throw error;
  }
  const base = await readSeriesBase(DEMO_SERIES_DIR);
  return {
    dir, repo, base, setup, agent, close,
    runJob: async (series = DEMO_SERIES_DIR) => {
      const submitted = await submitBundle(home, connection, { embargo: EMBARGO, targets: [{ tree: DEMO_TREE, base, series }], workloads: [] });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Bench job of bundle ${submitted.bundleId} did not finish within ${JOB_TIMEOUT_MS / 1000} s: see ${join(dir, 'agent.log')}`)), JOB_TIMEOUT_MS);
      });
      return Promise.race([timelines.finished(submitted.bundleId), timedOut]).finally(() => clearTimeout(timer));
    },
  };
}
