// The daemon's job scheduler (session.ts's JobHost): accepts or declines offers, runs accepted jobs
// in the background, passes cancels on, recovers after a restart. One bad job never stops it.
// The job machinery (pipeline, parsers, bundle opening, process control) is loaded with the first
// job, so an agent that waits for work stays small.
import type { darkroom } from '../proto/darkroom.js';
import { messageOf } from '../shared/errors.js';
import { jobIdProblem } from '../shared/peer-names.js';
import type { Channel } from '../transport/channel.js';
import { treeSettings } from './config/trees.js';
import { killLeftovers } from './process/leftovers.js';
import type { PersistedJob } from './job-state.js';
import type { Job, JobEnd, JobEnvironment } from './job.js';
import { cleanBuildDir } from './pipeline/build-cache.js';
import type { JobHost } from './session.js';

export interface JobRunnerOptions extends JobEnvironment {
  concurrency: number;
}

const keyOf = (jobId: string, attempt: number) => `${jobId}#${attempt}`;

/** A job from the moment it is accepted; `job` is set once the job machinery has loaded. */
class Running {
  readonly offer: darkroom.v1.JobOffer;
  job?: Job;
  /** A cancel that arrived before `job` existed, passed on when it does. */
  cancelReason?: string;
  done!: Promise<JobEnd | 'failed'>;

  constructor(offer: darkroom.v1.JobOffer) {
    this.offer = offer;
  }

  cancel(reason: string): void {
    if (this.job) this.job.cancel(reason);
    else this.cancelReason ??= reason;
  }
}

type Body = { kind: 'run' } | { kind: 'resume'; persisted: PersistedJob };

export class JobRunner implements JobHost {
  readonly #env: JobEnvironment;
  readonly #concurrency: number;
  readonly #running = new Map<string, Running>();
  /** Jobs whose result is in the outbox or was sent: a repeated offer is accepted, not rerun. */
  readonly #finished = new Set<string>();
  #stopping = false;

  constructor(options: JobRunnerOptions) {
    const { concurrency, ...env } = options;
    this.#env = env;
    this.#concurrency = concurrency;
  }

  /**
   * On start: remember results still in the outbox; end every process a job of an earlier run
   * left running; wipe every workspace a crash left behind (and, for a job that was running, its
   * tree's clone) except those of jobs saved for a reboot; clean the build directories of trees
   * with no saved job (what a job built there); resume the saved jobs.
   */
  async recover(): Promise<void> {
    const { outbox, states, workspaces, logger } = this.#env;
    await workspaces.prepare();
    for (const entry of await outbox.pending()) this.#finished.add(keyOf(entry.jobId, entry.attempt));
    const saved = await states.load(logger);
    const keep = new Set(saved.map((job) => job.offer.jobId));
    await this.#endLeftovers(keep);
    for (const name of await workspaces.leftovers()) {
      if (keep.has(name)) continue;
      await workspaces.wipe(name);
      logger.warn({ jobId: name }, 'wiped a workspace left by an earlier run');
    }
    const resumed = new Set(saved.map((job) => job.offer.tree));
    for (const tree of this.#env.config.trees.filter((candidate) => !resumed.has(candidate.name))) {
      await cleanBuildDir(workspaces.buildDir(tree.name), tree.reuseBuildDir);
    }
    for (const persisted of saved) {
      if (this.#declares(persisted.offer)) this.#start(persisted.offer, { kind: 'resume', persisted });
      else await states.remove(persisted.offer.jobId);
    }
  }

  /**
   * Kills what each job recorded as running when the last agent process died, resumed or not:
   * nothing from before a restart may run beside the resumed pipeline. A job that will not be
   * resumed also loses its tree's clone, which holds its patched commits; its build output goes
   * with the build directories' clean-up in recover().
   */
  async #endLeftovers(resumed: ReadonlySet<string>): Promise<void> {
    const { processes, workspaces, logger } = this.#env;
    for (const record of await processes.load(logger)) {
      for (const tree of record.trees) {
        const { killed, remaining } = await killLeftovers(tree);
        if (killed > 0) logger.warn({ jobId: record.jobId, pid: tree.pid, killed }, 'ended processes an earlier run of the agent left running');
        if (remaining > 0) logger.error({ jobId: record.jobId, pid: tree.pid, remaining }, 'processes left by an earlier run of the agent survived SIGKILL; they may hold the tree');
      }
      if (!resumed.has(record.jobId)) await workspaces.wipeClone(record.tree);
      await processes.remove(record.jobId);
    }
  }

  offer(offer: darkroom.v1.JobOffer, channel: Channel): { accepted: true } | { accepted: false; reason: string } {
    this.#env.link.attach(channel);
    const key = keyOf(offer.jobId, offer.attempt);
    if (this.#running.has(key) || this.#finished.has(key)) return { accepted: true };
    const refusal = this.#refusal(offer);
    if (refusal) return { accepted: false, reason: refusal };
    this.#start(offer, { kind: 'run' });
    return { accepted: true };
  }

  #refusal(offer: darkroom.v1.JobOffer): string | null {
    if (this.#stopping) return 'the agent is stopping';
    const unsafe = jobIdProblem(offer.jobId);
    if (unsafe) return unsafe;
    if (!this.#env.config.trees.some((tree) => tree.name === offer.tree)) return `tree ${offer.tree} is not declared by this agent`;
    const offers = [...this.#running.values()].map((entry) => entry.offer);
    if (offers.some((running) => running.jobId === offer.jobId)) return `attempt ${offer.attempt} offered while another attempt of job ${offer.jobId} still runs`;
    if (offers.length >= this.#concurrency) return `concurrency full: ${offers.length} of ${this.#concurrency} jobs running`;
    if (offers.some((running) => running.tree === offer.tree)) return `tree ${offer.tree} is busy with another job`;
    return null;
  }

  #declares(offer: darkroom.v1.JobOffer): boolean {
    try {
      treeSettings(this.#env.config, offer.tree);
      return true;
    } catch (error) {
      this.#env.logger.warn({ jobId: offer.jobId, err: messageOf(error) }, 'cannot run job');
      return false;
    }
  }

  /** Loads the job machinery (once, on the first job) and runs or resumes the job. */
  async #body(entry: Running, body: Body): Promise<JobEnd> {
    const { Job } = await import('./job.js');
    const job = new Job(entry.offer, this.#env);
    entry.job = job;
    if (entry.cancelReason !== undefined) job.cancel(entry.cancelReason);
    return body.kind === 'run' ? job.run() : job.resume(body.persisted);
  }

  #start(offer: darkroom.v1.JobOffer, body: Body): void {
    const key = keyOf(offer.jobId, offer.attempt);
    const entry = new Running(offer);
    entry.done = this.#body(entry, body).then(
      (end) => {
        if (end === 'result') this.#finished.add(key);
        return end;
      },
      async (error: unknown) => {
        this.#env.logger.error({ jobId: offer.jobId, err: messageOf(error) }, 'job failed inside the agent; the coordinator will see its lease expire');
        await this.#wipeFailed(offer);
        return 'failed' as const;
      },
    ).finally(() => this.#running.delete(key));
    this.#running.set(key, entry);
  }

  /**
   * After a job threw (sealing its logs failed, the outbox write hit a full disk): everything it may
   * have left is removed, whatever the job's own wipe managed. The clone goes whole (the next job
   * clones the tester's tree again), so no patched commit or reflog entry survives, and the build
   * directory is cleaned as at a normal end. Each step is tried even when another fails.
   */
  async #wipeFailed(offer: darkroom.v1.JobOffer): Promise<void> {
    const { workspaces, processes, states, config, logger } = this.#env;
    const tree = config.trees.find((candidate) => candidate.name === offer.tree);
    const steps = [
      () => workspaces.wipe(offer.jobId),
      ...(tree ? [() => workspaces.wipeClone(tree.name), () => cleanBuildDir(workspaces.buildDir(tree.name), tree.reuseBuildDir)] : []),
      () => states.remove(offer.jobId),
      () => processes.remove(offer.jobId),
    ];
    for (const step of steps) {
      await step().catch((error: unknown) => logger.error({ jobId: offer.jobId, err: messageOf(error) }, 'could not wipe what a failed job left; it is wiped again at the next start'));
    }
  }

  cancel(jobId: string, reason: string): void {
    for (const entry of this.#running.values()) if (entry.offer.jobId === jobId) entry.cancel(reason);
  }

  runningJobIds(): string[] {
    return [...this.#running.values()].map((entry) => entry.offer.jobId);
  }

  /** Resolves when every job running now has ended (results written, workspaces wiped). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()].map((entry) => entry.done));
  }

  /** Refuses new offers, cancels every running job, and waits until each has wiped its workspace. */
  async stop(reason: string): Promise<void> {
    this.#stopping = true;
    for (const entry of this.#running.values()) entry.cancel(reason);
    await this.idle();
  }
}
