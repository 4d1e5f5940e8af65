// The demo's bundled project: a small C library turned into a reproducible git repository, its
// patch series, and the build and workload commands the demo's agents run against it.
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DarkroomError, messageOf } from '../../shared/errors.js';

export type DemoErrorCode = 'DEMO_DEST_NOT_EMPTY' | 'DEMO_GIT_FAILED' | 'DEMO_SERIES_MALFORMED';

export class DemoError extends DarkroomError<DemoErrorCode> {}

/** examples/ in the package; this module runs from dist/maintainer/demo/. */
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** The C project the demo repository is made from. */
export const DEMO_PROJECT_DIR = join(EXAMPLES, 'demo-project');

/** Its patch series, made with `git format-patch --base` against the demo repository. */
export const DEMO_SERIES_DIR = join(EXAMPLES, 'demo-series');

/** The tree name agents declare and bundles target. */
export const DEMO_TREE = 'ringbuf';

export const DEMO_BRANCH = 'main';

/** Fixed author, committer and date, so the base commit id is the same on every machine. */
export const DEMO_COMMIT = {
  name: 'Ringbuf Maintainers',
  email: 'ringbuf@example.org',
  date: '@1736942400 +0000',
  message: 'ringbuf: import version 1.0\n',
} as const;

export const DEMO_BUILD_COMMAND = 'make';

export interface DemoWorkload {
  name: string;
  format: 'tap' | 'ktap';
  /** Run with `bash -c` in the patched tree after the build. */
  command: string;
}

/** What the passing agents run. */
export const DEMO_WORKLOADS: readonly DemoWorkload[] = [
  { name: 'unit', format: 'tap', command: 'make check' },
  { name: 'stress', format: 'ktap', command: 'make ktap' },
];

/** The page size that makes the demo's third agent look like an arm64 machine with 64K pages. */
export const DEMO_FAILING_PAGE_SIZE = 65536;

/** The one TAP case the third agent fails, on the base and on the patched tree alike. */
export const DEMO_FAILING_CASE = 'holds_one_page';

/** What the third agent runs: the same workloads, the unit tests on emulated 64K pages. */
export const DEMO_FAILING_WORKLOADS: readonly DemoWorkload[] = DEMO_WORKLOADS.map((workload) =>
  workload.name === 'unit' ? { ...workload, command: `RINGBUF_PAGE_SIZE=${DEMO_FAILING_PAGE_SIZE} ${workload.command}` } : workload,
);

export interface DemoRepository {
  dir: string;
  /** Id of the single commit the series applies to. */
  base: string;
}

/** Git isolated from the user's and the system's configuration, with the fixed identity. */
function gitEnvironment(): Record<string, string> {
  return {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: DEMO_COMMIT.name,
    GIT_AUTHOR_EMAIL: DEMO_COMMIT.email,
    GIT_AUTHOR_DATE: DEMO_COMMIT.date,
    GIT_COMMITTER_NAME: DEMO_COMMIT.name,
    GIT_COMMITTER_EMAIL: DEMO_COMMIT.email,
    GIT_COMMITTER_DATE: DEMO_COMMIT.date,
  };
}

async function git(dir: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execa('git', args, { cwd: dir, env: gitEnvironment(), stdin: 'ignore' });
    return stdout.trim();
  } catch (cause) {
    throw new DemoError('DEMO_GIT_FAILED', `git ${args.join(' ')} failed in ${dir}: ${messageOf(cause)}; is git installed and on PATH?`, { cause });
  }
}

/**
 * Creates a git repository at `dest` (absent or empty) holding the demo project as one commit on
 * branch main, with a fixed identity and date so its id never changes.
 */
export async function createDemoRepository(dest: string): Promise<DemoRepository> {
  const existing = await readdir(dest).catch(() => []);
  if (existing.length > 0) throw new DemoError('DEMO_DEST_NOT_EMPTY', `Cannot create the demo repository in ${dest}: the directory is not empty; pass a new or empty directory`);
  await cp(DEMO_PROJECT_DIR, dest, { recursive: true });
  await git(dest, ['init', '--quiet', `--initial-branch=${DEMO_BRANCH}`, '--template=']);
  await git(dest, ['add', '--all']);
  await git(dest, ['commit', '--quiet', '--no-verify', '--no-gpg-sign', '--message', DEMO_COMMIT.message]);
  return { dir: dest, base: await git(dest, ['rev-parse', 'HEAD']) };
}

/** The `base-commit:` line `git format-patch --base` writes into the series' first message. */
export async function readSeriesBase(seriesDir: string): Promise<string> {
  const names = (await readdir(seriesDir)).filter((name) => name.endsWith('.patch')).sort();
  for (const name of names) {
    const base = /^base-commit: ([0-9a-f]{40})$/m.exec(await readFile(join(seriesDir, name), 'utf8'))?.[1];
    if (base) return base;
  }
  throw new DemoError('DEMO_SERIES_MALFORMED', `No patch in ${seriesDir} has a 'base-commit:' line: regenerate the series with 'git format-patch --base=BASE'`);
}
