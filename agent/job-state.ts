// Jobs handed over to a reboot or kexec: what the agent needs on its next start to resume them,
// kept in the state directory (private, on disk) as one fsynced JSON file per job.
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../proto/darkroom.js';
import type { Logger } from '../shared/log.js';
import type { JobPlan } from './pipeline/run-job.js';
import type { StageInit } from './pipeline/stages.js';

const STATE_FORMAT = 'darkroom-job-state-v1';
const SUFFIX = '.job.json';

export interface PersistedJob {
  offer: darkroom.v1.JobOffer;
  plan: JobPlan;
  /** Stages done before the hand-over (apply, build). */
  completed: StageInit[];
  startedAtMs: number;
  /** What the `expected` command printed before the restart: the kernel that must come back. */
  expectedKernel: string;
}

export class JobStates {
  readonly #dir: string;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'jobs');
  }

  #path(jobId: string): string {
    return join(this.#dir, `${jobId}${SUFFIX}`);
  }

  async save(job: PersistedJob): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const path = this.#path(job.offer.jobId);
    const body = JSON.stringify({
      format: STATE_FORMAT, offer: Buffer.from(darkroom.v1.JobOffer.encode(job.offer).finish()).toString('base64'),
      plan: job.plan, completed: job.completed, startedAtMs: job.startedAtMs, expectedKernel: job.expectedKernel,
    });
    const handle = await open(`${path}.tmp`, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(`${path}.tmp`, path);
    const dir = await open(this.#dir, 'r');
    await dir.sync().finally(() => dir.close());
  }

  /** Every persisted job; an unreadable file is logged and dropped (its workspace is then wiped). */
  async load(logger: Logger): Promise<PersistedJob[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    const jobs: PersistedJob[] = [];
    for (const name of names.filter((n) => n.endsWith(SUFFIX))) {
      try {
        const raw = JSON.parse(await readFile(join(this.#dir, name), 'utf8'));
        if (raw.format !== STATE_FORMAT) throw new Error(`format is ${String(raw.format)}, not ${STATE_FORMAT}`);
        const offer = darkroom.v1.JobOffer.decode(Buffer.from(String(raw.offer), 'base64'));
        jobs.push({ offer, plan: raw.plan, completed: raw.completed, startedAtMs: Number(raw.startedAtMs), expectedKernel: String(raw.expectedKernel) });
      } catch (error) {
        logger.error({ file: name, err: (error as Error).message }, 'dropping an unreadable persisted job');
        await unlink(join(this.#dir, name)).catch(() => undefined);
      }
    }
    return jobs;
  }

  async remove(jobId: string): Promise<void> {
    await unlink(this.#path(jobId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
