// One job on this agent, from offer to signed result: admit the bundle (a signer the tester
// pinned, fetched, opened), run the pipeline, then in this order: the signed result made durable in
// the outbox, the plaintext wiped, and only then the coordinator told (once told, it may hand out
// new work).
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { darkroom } from '../proto/darkroom.js';
import { BundleError, openBundle, readHeader, sealedPayloadBytes, SealedKind, unseal, type ParsedHeader, type TrustPolicy } from '../shared/bundle/index.js';
import { DarkroomError, messageOf } from '../shared/errors.js';
import type { Identity } from '../shared/identity.js';
import type { Logger } from '../shared/log.js';
import { statusToProto } from '../shared/status.js';
import { BaseCache } from './base-run/cache.js';
import { baseRunOnWarmUp, withBaseStatuses, type BaseOutcomes, type BaseRunInput } from './base-run/run.js';
import type { ChannelLink } from './channel-link.js';
import type { AgentConfig, TreeSettings } from './config/index.js';
import { treeSettings } from './config/trees.js';
import { collectStageLogs, buildSignedResult } from './job-result.js';
import type { JobProcesses } from './job-processes.js';
import type { JobStates, PersistedJob } from './job-state.js';
import type { Outbox } from './outbox.js';
import { fetchPayload } from '../transport/payload-fetch.js';
import { cleanBuildDir, type WarmOutcome } from './pipeline/build-cache.js';
import { logPath, stageEnv } from './pipeline/context.js';
import { GitTree } from './pipeline/git-tree.js';
import { restartsMachine, type RestartSettings } from './pipeline/reboot.js';
import { resumePipeline, runPipeline, type JobPlan, type PipelineContext } from './pipeline/run-job.js';
import { APPLY, BOOT, BUILD, stage, workloadStage, type StageInit } from './pipeline/stages.js';
import { runCommand, type RunTracker } from './process/index.js';
import { judgeSigner } from './trusted-signer.js';
import { JobSandbox } from './sandbox/index.js';
import type { JobWorkspace, Workspaces } from './workspace.js';

/** Tries at pulling a payload (each resumes where the last stopped) before the job is an ERROR. */
export const FETCH_ATTEMPTS = 5;
export const FETCH_RETRY_DELAY_MS = 1_000;
/** The ciphertext, in the job's workspace until it is opened. */
export const PAYLOAD_FILE = 'payload.sealed';
/** Where openBundle extracts the series, below the workspace's series directory. */
const OPENED_DIR = 'bundle';
/** The base run's stage logs, inside the job's workspace (wiped with it, never sealed). */
const BASE_LOGS_DIR = 'base-logs';

export type JobEnd = 'result' | 'cancelled';

export interface JobEnvironment {
  config: AgentConfig;
  identity: Identity;
  agentName: string;
  /** The tester's contact kept from enrolment, signed into every result. */
  testerContact: string;
  profile: darkroom.v1.HardwareProfile.$Properties;
  hardwareClass: string;
  workspaces: Workspaces;
  outbox: Outbox;
  states: JobStates;
  /** Where the job's running commands are recorded, for the next start after a crash. */
  processes: JobProcesses;
  link: ChannelLink;
  logger: Logger;
}

export type JobRefusalCode = 'OFFER_MISMATCH' | 'BUNDLE_UNREACHABLE' | 'SIGNER_NOT_TRUSTED';

/** Why a bundle was not run: the apply stage's ERROR reason (never a FAIL of the series). */
export class JobRefusal extends DarkroomError<JobRefusalCode> {}

interface Admitted {
  parsed: ParsedHeader;
  plan: JobPlan;
}

/** The signed header must be the bundle, embargo and tree the offer is about. */
function checkOffer(offer: darkroom.v1.JobOffer, parsed: ParsedHeader): void {
  const header = parsed.header;
  const problem = parsed.bundleId !== offer.bundleId ? `the header is bundle ${parsed.bundleId}, the offer names ${offer.bundleId}`
    : header.embargo !== offer.embargo ? `the header is of embargo '${header.embargo}', the offer names '${offer.embargo}'`
    : !header.targets.some((t) => t.tree === offer.tree) ? `the bundle does not target tree ${offer.tree}`
    : Number(offer.payloadBytes) !== sealedPayloadBytes(Number(header.payloadBytes)) ? `the offer announces ${offer.payloadBytes} payload bytes, the header ${sealedPayloadBytes(Number(header.payloadBytes))}`
    : null;
  if (problem) throw new JobRefusal('OFFER_MISMATCH', `Offer for job ${offer.jobId} does not match its bundle: ${problem}`);
}

function refusalReason(error: unknown): string {
  if (error instanceof BundleError) return `bundle refused: ${error.message}`;
  if (error instanceof JobRefusal) return error.message;
  return `agent error: ${messageOf(error)}`;
}

export class Job {
  readonly offer: darkroom.v1.JobOffer;
  readonly tree: TreeSettings;
  readonly #env: JobEnvironment;
  readonly #controller = new AbortController();
  readonly #logger: Logger;
  #startedAtMs = Date.now();
  #tracker: RunTracker | undefined;
  /** Where every command of this job runs; undefined with `sandbox: none`. */
  #sandbox: JobSandbox | undefined;

  /** Throws ConfigError TREE_UNKNOWN when the offer's tree is not declared. */
  constructor(offer: darkroom.v1.JobOffer, env: JobEnvironment) {
    this.offer = offer;
    this.tree = treeSettings(env.config, offer.tree);
    this.#env = env;
    this.#logger = env.logger.child({ jobId: offer.jobId, attempt: offer.attempt });
  }

  get cancelled(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Idempotent: the first reason is kept. The pipeline's commands are killed with their trees. */
  cancel(reason: string): void {
    if (this.cancelled) return;
    this.#logger.warn({ reason }, 'cancelling job');
    this.#controller.abort(new Error(reason));
  }

  async run(): Promise<JobEnd> {
    const workspace = await this.#env.workspaces.create(this.offer.jobId);
    this.#sandbox = this.#makeSandbox(workspace);
    this.#tracker = await this.#env.processes.begin(this.offer.jobId, this.tree.name);
    let admitted: Admitted;
    try {
      admitted = await this.#admit(workspace);
    } catch (error) {
      if (this.cancelled) return this.#endCancelled();
      this.#logger.error({ err: messageOf(error) }, 'bundle not run');
      return this.#finish(this.#refusedStages(refusalReason(error)), null, workspace);
    }
    if (this.cancelled) return this.#endCancelled(admitted.plan.base);
    const ctx = this.#context(workspace, this.tree);
    let early: BaseOutcomes = new Map();
    const afterWarmUp = this.offer.runBase ? async (warm: WarmOutcome) => {
      early = await baseRunOnWarmUp(await this.#baseInput(admitted.plan, workspace), warm);
    } : undefined;
    const outcome = await runPipeline(admitted.plan, { ...ctx, beforeReboot: (completed) => this.#persist(admitted.plan, completed, ctx), afterWarmUp });
    if (this.cancelled) return this.#endCancelled(admitted.plan.base);
    const stages = this.offer.runBase ? await withBaseStatuses({ ...(await this.#baseInput(admitted.plan, workspace)), stages: outcome.stages }, early) : outcome.stages;
    if (this.cancelled) return this.#endCancelled(admitted.plan.base);
    return this.#finish(stages, admitted, workspace);
  }

  /** What the base run the bar asked for is given: its logs kept apart, no progress reports. */
  async #baseInput(plan: JobPlan, workspace: JobWorkspace): Promise<Omit<BaseRunInput, 'stages'>> {
    const logsDir = join(workspace.dir, BASE_LOGS_DIR);
    await mkdir(logsDir, { recursive: true, mode: 0o700 });
    const ctx = { ...this.#context({ ...workspace, logsDir }, this.tree), progress: () => undefined };
    return { plan, ctx, cache: new BaseCache(this.#env.config.stateDir), agentName: this.#env.agentName };
  }

  /** Continues a job the agent handed over to a reboot or kexec, on the agent's next start. */
  async resume(persisted: PersistedJob): Promise<JobEnd> {
    this.#startedAtMs = persisted.startedAtMs;
    const boot = this.tree.boot;
    const present = existsSync(join(this.#env.workspaces.jobsDir, this.offer.jobId));
    const workspace = await this.#env.workspaces.create(this.offer.jobId);
    this.#sandbox = this.#makeSandbox(workspace);
    this.#tracker = await this.#env.processes.begin(this.offer.jobId, this.tree.name);
    if (!present || !restartsMachine(boot)) {
      const reason = present ? `the job was resumed but tree ${this.tree.name} no longer boots by reboot or kexec` : 'the job\'s workspace did not survive the restart (a memory-backed workspace is lost on reboot)';
      return this.#finish([...persisted.completed, stage(BOOT, 'ERROR', 0, reason), ...this.#workloadSkips(persisted.plan.workloads, `${BOOT} did not pass`)], null, workspace);
    }
    const admitted = { parsed: readHeader(this.offer.header), plan: persisted.plan };
    const tree: TreeSettings = { ...this.tree, boot: { ...boot, expected: persisted.expectedKernel } satisfies RestartSettings };
    const outcome = await resumePipeline(persisted.plan, this.#context(workspace, tree), persisted.completed);
    if (this.cancelled) return this.#endCancelled(persisted.plan.base);
    return this.#finish(outcome.stages, admitted, workspace);
  }

  /**
   * Trust and offer checks before any byte is fetched: the signer must be a maintainer the tester
   * pinned (trusted-signer.ts); then fetch, authenticate and extract.
   */
  async #admit(workspace: JobWorkspace): Promise<Admitted> {
    const { identity, config } = this.#env;
    const signer = readHeader(this.offer.header);
    const verdict = judgeSigner(signer, this.offer, config.trustedMaintainers);
    if (!verdict.trusted) throw new JobRefusal('SIGNER_NOT_TRUSTED', verdict.reason);
    const trust: TrustPolicy = (parsed) => Buffer.from(parsed.signerKey).equals(Buffer.from(signer.signerKey));
    const envelope = { signedHeader: this.offer.header, stanzas: [this.offer.stanza] };
    const { parsed } = unseal(envelope, SealedKind.BUNDLE, { identity, trust });
    checkOffer(this.offer, parsed);
    const payload = join(workspace.dir, PAYLOAD_FILE);
    await this.#fetch(payload, Number(this.offer.payloadBytes));
    const opened = await openBundle({ ...envelope, payload: { path: payload } }, { identity, trust, destination: join(workspace.seriesDir, OPENED_DIR) });
    await rm(payload, { force: true });
    const target = opened.targets.find((t) => t.tree === this.offer.tree)!;
    return { parsed: opened.parsed, plan: { jobId: this.offer.jobId, base: target.base, patches: target.patches, workloads: [...opened.parsed.header.workloads] } };
  }

  /** Pulls the ciphertext over whichever connection is open, resuming across cuts. */
  async #fetch(path: string, size: number): Promise<void> {
    const signal = this.#controller.signal;
    for (let attempt = 1; ; attempt++) {
      const channel = await this.#env.link.next(signal);
      try {
        await fetchPayload(channel, { bundleId: this.offer.bundleId, size, path });
        return;
      } catch (error) {
        if (this.cancelled) throw error;
        if (attempt >= FETCH_ATTEMPTS) throw new JobRefusal('BUNDLE_UNREACHABLE', `Bundle ${this.offer.bundleId} could not be fetched in ${FETCH_ATTEMPTS} attempts: ${messageOf(error)}`, { cause: error });
        this.#logger.warn({ err: messageOf(error), attempt }, `bundle fetch failed; will try again in ${FETCH_RETRY_DELAY_MS} ms`);
        await sleep(FETCH_RETRY_DELAY_MS, undefined, { signal });
      }
    }
  }

  /** The job's sandbox: its own workspace, clone and build directory, nothing else of the agent's. */
  #makeSandbox(workspace: JobWorkspace): JobSandbox | undefined {
    const { config, workspaces } = this.#env;
    if (config.sandbox === 'none') return undefined;
    return new JobSandbox({
      stateDir: config.stateDir, workspaceRoot: workspaces.root, jobDir: workspace.dir, scratchDir: workspace.scratchDir,
      cloneDir: workspaces.treeDir(this.tree.name), buildDir: workspaces.buildDir(this.tree.name),
      treeSource: this.tree.path, configDir: this.tree.configDir, treeNetwork: this.tree.network === true,
    }, process.env);
  }

  #context(workspace: JobWorkspace, tree: TreeSettings): PipelineContext {
    const { workspaces, link } = this.#env;
    const { jobId, attempt } = this.offer;
    return {
      tree, workspace, logger: this.#logger, signal: this.#controller.signal, tracker: this.#tracker, ...(this.#sandbox ? { sandbox: this.#sandbox } : {}),
      gitTree: new GitTree(tree.path, workspaces.treeDir(tree.name), this.#sandbox), buildDir: workspaces.buildDir(tree.name),
      progress: (name, event, status) => {
        const kind = event === 'started' ? darkroom.v1.StageEvent.STAGE_STARTED : darkroom.v1.StageEvent.STAGE_FINISHED;
        link.send({ progress: { jobId, attempt, stage: name, event: kind, status: status ? statusToProto(status) : 0, atMs: Date.now() } });
      },
    };
  }

  /** Before a reboot or kexec: what must come back, and the job, on disk. */
  async #persist(plan: JobPlan, completed: StageInit[], ctx: PipelineContext): Promise<void> {
    const boot = ctx.tree.boot as RestartSettings;
    const run = await runCommand(boot.expected, {
      cwd: ctx.gitTree.dir, logPath: logPath(ctx, 'expected-kernel'), timeoutMs: boot.timeoutMs, signal: ctx.signal, env: stageEnv(ctx), logger: ctx.logger, tracker: ctx.tracker,
      sandbox: ctx.sandbox?.command(),
    });
    const expectedKernel = run.outputTail.trim().split('\n').at(-1)?.trim() ?? '';
    if (run.exitCode !== 0 || !expectedKernel) throw new Error(`the expected-kernel command printed nothing usable (exit ${run.exitCode}); see the expected-kernel log`);
    await this.#env.states.save({ offer: this.offer, plan, completed, startedAtMs: this.#startedAtMs, expectedKernel });
    this.#logger.info({ expectedKernel }, 'job saved for the restart');
  }

  #workloadSkips(requested: readonly string[], reason: string): StageInit[] {
    const names = this.tree.workloads.map((w) => w.name).filter((name) => requested.length === 0 || requested.includes(name));
    return names.map((name) => stage(workloadStage(name), 'SKIP', 0, reason));
  }

  /** A bundle that was not run: apply ERROR with the reason, every later stage SKIP. */
  #refusedStages(reason: string): StageInit[] {
    const skipped = `${APPLY} did not pass`;
    return [stage(APPLY, 'ERROR', 0, reason), stage(BUILD, 'SKIP', 0, skipped), stage(BOOT, 'SKIP', 0, skipped), ...this.#workloadSkips(this.offer.workloads, skipped)];
  }

  /** Signs the result and makes it durable, then wipes; the wipe happens even when signing or the outbox write throws. */
  async #finish(stages: StageInit[], admitted: Admitted | null, workspace: JobWorkspace): Promise<JobEnd> {
    const env = this.#env;
    const header = admitted?.parsed.header;
    let signed: Awaited<ReturnType<typeof buildSignedResult>>;
    try {
      signed = await buildSignedResult({
        offer: this.offer, agentName: env.agentName, testerContact: env.testerContact, identity: env.identity, hardwareClass: env.hardwareClass, profile: env.profile,
        stages, startedAtMs: this.#startedAtMs, finishedAtMs: Date.now(), ...(env.config.publicLab ? { publicLab: env.config.publicLab } : {}),
        ...(header ? { logs: { embargo: header.embargo, recipients: header.logRecipients.map((r) => ({ name: r.name!, boxKey: r.boxKey! })), files: await collectStageLogs(workspace.logsDir) } } : {}),
      });
      await env.outbox.put({ jobId: this.offer.jobId, attempt: this.offer.attempt, bytes: signed.bytes });
    } finally {
      await this.#wipe(admitted?.plan.base);
    }
    const sent = env.link.send({ resultSubmit: { signed: darkroom.v1.SignedResult.decode(signed.bytes) } });
    this.#logger.info({ status: darkroom.v1.Status[signed.result.status], resultId: signed.resultId, sent }, 'job finished; result in the outbox');
    return 'result';
  }

  async #endCancelled(base?: string): Promise<JobEnd> {
    await this.#wipe(base);
    this.#logger.info({ reason: messageOf(this.#controller.signal.reason) }, 'job cancelled; workspace wiped, no result');
    return 'cancelled';
  }

  /**
   * Removes every plaintext of the job: its workspace, the patched commits in the private clone
   * (put back to the base), the build output (with reuse_build_dir: what the job built on top of
   * the base), and its saved state.
   */
  async #wipe(base?: string): Promise<void> {
    const { workspaces, states, processes } = this.#env;
    await workspaces.wipe(this.offer.jobId);
    const clone = workspaces.treeDir(this.tree.name);
    if (base && existsSync(join(clone, '.git'))) await new GitTree(this.tree.path, clone, this.#sandbox).reset(base);
    await cleanBuildDir(workspaces.buildDir(this.tree.name), this.tree.reuseBuildDir);
    await states.remove(this.offer.jobId);
    await processes.remove(this.offer.jobId);
  }
}
