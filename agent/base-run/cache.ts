// The agent's cache of base runs: what each workload gave on an unpatched base commit, per (tree,
// base commit, workload and its command, agent), so a second bundle on the same base reuses it.
// Statuses and case names only, never logs; private to the agent (directory 0700, files 0600).
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Status } from '../../shared/status.js';
import type { WorkloadSettings } from '../pipeline/settings.js';

/** The cache's directory below the agent's state directory. */
export const BASE_CACHE_DIR = 'base-cache';
/** Bumped when an entry's meaning changes, so older entries are simply not found. */
const CACHE_VERSION = 1;

export interface BaseCaseStatus {
  name: string;
  status: Status;
}

export interface BaseEntry {
  /** The workload stage's status on the base. */
  status: Status;
  cases: BaseCaseStatus[];
  ranAtMs: number;
}

export interface BaseKey {
  agent: string;
  tree: string;
  /** The full commit id the base resolved to. */
  commit: string;
  workload: Pick<WorkloadSettings, 'name' | 'command' | 'format' | 'inGuest'>;
}

/** Hex SHA-256 of everything the base run's outcome depends on. */
export function baseKeyId(key: BaseKey): string {
  const { name, command, format, inGuest } = key.workload;
  return createHash('sha256').update(JSON.stringify([CACHE_VERSION, key.agent, key.tree, key.commit, name, command, format, inGuest])).digest('hex');
}

export class BaseCache {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, BASE_CACHE_DIR);
  }

  /** The cached outcome, or null when absent or unreadable (then the base simply runs again). */
  async get(key: BaseKey): Promise<BaseEntry | null> {
    const text = await readFile(join(this.dir, `${baseKeyId(key)}.json`), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const entry = JSON.parse(text) as Partial<BaseEntry>;
      return typeof entry.status === 'string' && Array.isArray(entry.cases) ? (entry as BaseEntry) : null;
    } catch {
      return null;
    }
  }

  /** Stores an outcome atomically (a crash leaves the old entry or none, never half of one). */
  async put(key: BaseKey, entry: BaseEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const path = join(this.dir, `${baseKeyId(key)}.json`);
    const temp = `${path}.${process.pid}.tmp`;
    const handle = await open(temp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(entry)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  }
}
