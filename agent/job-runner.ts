// The daemon's job scheduler (session.ts's JobHost): accepts or declines offers, runs accepted jobs
// in the background, passes cancels on, recovers after a restart. One bad job never stops it.
import type { darkroom } from '../proto/darkroom.js';
import { messageOf } from '../shared/errors.js';
import type { Channel } from '../transport/channel.js';
import { Job, type JobEnd, type JobEnvironment } from './job.js';
import { cleanBuildDir } from './pipeline/build-cache.js';
import type { JobHost } from './session.js';

export interface JobRunnerOptions extends JobEnvironment {
  concurrency: number;
}

const keyOf = (jobId: string, attempt: number) => `${jobId}#${attempt}`;

export class JobRunner implements JobHost {
  readonly #env: JobEnvironment;
  readonly #concurrency: number;
  readonly #running = new Map<string, { job: Job; done: Promise<JobEnd | 'failed'> }>();
  /** Jobs whose result is in the outbox or was sent: a repeated offer is accepted, not rerun. */
  readonly #finished = new Set<string>();
  #stopping = false;

  constructor(options: JobRunnerOptions) {
    const { concurrency, ...env } = options;
    this.#env = env;
    this.#concurrency = concurrency;
  }

  /**
   * On start: remember results still in the outbox, wipe every workspace a crash left behind
   * except those of jobs saved for a reboot (and what a job built in a build directory), and
   * resume those.
   */
  async recover(): Promise<void> {
    const { outbox, states, workspaces, logger } = this.#env;
    await workspaces.prepare();
    for (const entry of await outbox.pending()) this.#finished.add(keyOf(entry.jobId, entry.attempt));
    const saved = await states.load(logger);
    const keep = new Set(saved.map((job) => job.offer.jobId));
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
      const job = this.#create(persisted.offer);
      if (job) this.#start(job, () => job.resume(persisted));
      else await states.remove(persisted.offer.jobId);
    }
  }

  offer(offer: darkroom.v1.JobOffer, channel: Channel): { accepted: true } | { accepted: false; reason: string } {
    this.#env.link.attach(channel);
    const key = keyOf(offer.jobId, offer.attempt);
    if (this.#running.has(key) || this.#finished.has(key)) return { accepted: true };
    const refusal = this.#refusal(offer);
    if (refusal) return { accepted: false, reason: refusal };
    const job = this.#create(offer);
    if (!job) return { accepted: false, reason: `tree ${offer.tree} is not declared by this agent` };
    this.#start(job, () => job.run());
    return { accepted: true };
  }

  #refusal(offer: darkroom.v1.JobOffer): string | null {
    if (this.#stopping) return 'the agent is stopping';
    if (!this.#env.config.trees.some((tree) => tree.name === offer.tree)) return `tree ${offer.tree} is not declared by this agent`;
    const jobs = [...this.#running.values()].map((entry) => entry.job);
    if (jobs.some((job) => job.offer.jobId === offer.jobId)) return `attempt ${offer.attempt} offered while another attempt of job ${offer.jobId} still runs`;
    if (jobs.length >= this.#concurrency) return `concurrency full: ${jobs.length} of ${this.#concurrency} jobs running`;
    if (jobs.some((job) => job.tree.name === offer.tree)) return `tree ${offer.tree} is busy with another job`;
    return null;
  }

  #create(offer: darkroom.v1.JobOffer): Job | null {
    try {
      return new Job(offer, this.#env);
    } catch (error) {
      this.#env.logger.warn({ jobId: offer.jobId, err: messageOf(error) }, 'cannot run job');
      return null;
    }
  }

  #start(job: Job, body: () => Promise<JobEnd>): void {
    const key = keyOf(job.offer.jobId, job.offer.attempt);
    const done = body().then(
      (end) => {
        if (end === 'result') this.#finished.add(key);
        return end;
      },
      (error: unknown) => {
        this.#env.logger.error({ jobId: job.offer.jobId, err: messageOf(error) }, 'job failed inside the agent; the coordinator will see its lease expire');
        return this.#env.workspaces.wipe(job.offer.jobId).then(() => 'failed' as const, () => 'failed' as const);
      },
    ).finally(() => this.#running.delete(key));
    this.#running.set(key, { job, done });
  }

  cancel(jobId: string, reason: string): void {
    for (const { job } of this.#running.values()) if (job.offer.jobId === jobId) job.cancel(reason);
  }

  runningJobIds(): string[] {
    return [...this.#running.values()].map((entry) => entry.job.offer.jobId);
  }

  /** Resolves when every job running now has ended (results written, workspaces wiped). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()].map((entry) => entry.done));
  }

  /** Refuses new offers, cancels every running job, and waits until each has wiped its workspace. */
  async stop(reason: string): Promise<void> {
    this.#stopping = true;
    for (const { job } of this.#running.values()) job.cancel(reason);
    await this.idle();
  }
}
