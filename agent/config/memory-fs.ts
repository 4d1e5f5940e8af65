// Whether a directory sits on a memory-backed file system (tmpfs or ramfs), so that job plaintext
// never reaches persistent disk.
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_MEMORY_WORKSPACE } from './resolve.js';

/** f_type values from linux/magic.h. */
export const MEMORY_FS_MAGIC: ReadonlyMap<number, string> = new Map([
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
]);

export type MemoryFsCheck = { ok: true; fs: string; checked: string } | { ok: false; problem: string };

/**
 * Checks the file system of `path`, or of its nearest existing parent when the directory is made
 * later (the agent creates its workspace root on start).
 */
export async function checkMemoryBacked(path: string): Promise<MemoryFsCheck> {
  let checked = path;
  for (;;) {
    try {
      const stats = await statfs(checked);
      const fs = MEMORY_FS_MAGIC.get(Number(stats.type));
      if (fs) return { ok: true, fs, checked };
      return { ok: false, problem: `${checked} is not on a memory-backed file system (statfs type 0x${Number(stats.type).toString(16)}): mount a tmpfs there (mount -t tmpfs -o mode=0700 tmpfs ${path}) or set workspace.tmpfs: true to use ${DEFAULT_MEMORY_WORKSPACE}` };
    } catch (error) {
      const parent = dirname(checked);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === checked) {
        return { ok: false, problem: `Cannot check the file system of ${path}: ${(error as Error).message}` };
      }
      checked = parent;
    }
  }
}
