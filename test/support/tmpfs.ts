// A real size-limited tmpfs for a test (the tests run as root, here and in CI), unmounted after it.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mounts a tmpfs of `size` (mount's syntax: 4m, 64m) on a fresh directory named `name`. */
export async function mountTmpfs(t: TestContext, options: { size: string; name: string }): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'dr-tmpfs-'));
  const dir = join(parent, options.name);
  await mkdir(dir);
  await run('mount', ['-t', 'tmpfs', '-o', `size=${options.size},mode=0700`, 'tmpfs', dir]);
  t.after(async () => {
    await run('umount', ['-l', dir]);
    await rm(parent, { recursive: true, force: true });
  });
  return dir;
}
