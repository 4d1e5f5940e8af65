// What each running job has started, kept in the state directory (private, one JSON file per job)
// so that the next start of an agent that died (kill -9, OOM) can end all of it: see
// process/leftovers.ts. Files are replaced atomically but not fsynced: a killed process loses no
// written data, and a power cut ends the processes the file names anyway.
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { RecordedTree } from './process/leftovers.js';
import type { RunTracker } from './process/run-command.js';

const RECORD_FORMAT = 'darkroom-job-processes-v1';
const SUFFIX = '.processes.json';
/** Below the state directory. */
export const PROCESSES_DIR_NAME = 'processes';

export interface JobProcessRecord {
  jobId: string;
  /** The declared tree the job ran on: its clone and build output hold the job's plaintext. */
  tree: string;
  /** The commands still running (or not known to have ended) when the record was last written. */
  trees: RecordedTree[];
}

/** Keeps one job's record up to date as its commands start and end; writes happen in order. */
class JobTracker implements RunTracker {
  readonly #record: JobProcessRecord;
  readonly #write: (record: JobProcessRecord) => Promise<void>;
  readonly #trees = new Map<string, RecordedTree>();
  #queue: Promise<void> = Promise.resolve();

  constructor(record: JobProcessRecord, write: (record: JobProcessRecord) => Promise<void>) {
    this.#record = record;
    this.#write = write;
  }

  #save(): Promise<void> {
    const snapshot = { ...this.#record, trees: [...this.#trees.values()] };
    this.#queue = this.#queue.catch(() => undefined).then(() => this.#write(snapshot));
    return this.#queue;
  }

  starting(tree: RecordedTree): Promise<void> {
    this.#trees.set(tree.marker, tree);
    return this.#save();
  }

  started(tree: Required<RecordedTree>): Promise<void> {
    this.#trees.set(tree.marker, tree);
    return this.#save();
  }

  ended(tree: RecordedTree): Promise<void> {
    this.#trees.delete(tree.marker);
    return this.#save();
  }
}

export class JobProcesses {
  readonly #dir: string;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, PROCESSES_DIR_NAME);
  }

  #path(jobId: string): string {
    return join(this.#dir, `${jobId}${SUFFIX}`);
  }

  async #write(record: JobProcessRecord): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const path = this.#path(record.jobId);
    const handle = await open(`${path}.tmp`, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify({ format: RECORD_FORMAT, ...record }));
    } finally {
      await handle.close();
    }
    await rename(`${path}.tmp`, path);
  }

  /** Writes the job's record (no commands yet) and returns the tracker its commands report to. */
  async begin(jobId: string, tree: string): Promise<RunTracker> {
    const record = { jobId, tree, trees: [] };
    await this.#write(record);
    return new JobTracker(record, (next) => this.#write(next));
  }

  /** Every record left by an earlier run; an unreadable one is logged and dropped. */
  async load(logger: Logger): Promise<JobProcessRecord[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    const records: JobProcessRecord[] = [];
    for (const name of names.filter((n) => n.endsWith(SUFFIX))) {
      try {
        const raw = JSON.parse(await readFile(join(this.#dir, name), 'utf8'));
        if (raw.format !== RECORD_FORMAT) throw new Error(`format is ${String(raw.format)}, not ${RECORD_FORMAT}`);
        const trees = (raw.trees as RecordedTree[]).filter((tree) => typeof tree.marker === 'string' && tree.marker.includes('='));
        records.push({ jobId: String(raw.jobId), tree: String(raw.tree), trees });
      } catch (error) {
        logger.error({ file: name, err: messageOf(error) }, 'dropping an unreadable record of a job\'s processes');
        await unlink(join(this.#dir, name)).catch(() => undefined);
      }
    }
    return records;
  }

  async remove(jobId: string): Promise<void> {
    await unlink(this.#path(jobId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
