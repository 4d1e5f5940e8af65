// The real-kernel test's lab: the prepared Linux tree (scripts/prepare-kernel-tree.sh), test
// series made against the tree actually unpacked (never a fixed version), and the agent profile
// of examples/linux/ pointed at a coordinator on loopback.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { REPO_ROOT } from '../test/support/paths.js';

/** The example profile this test runs, as documented. */
export const PROFILE_DIR = join(REPO_ROOT, 'examples', 'linux');
export const TREE_NAME = 'linux';
export const BOOT_MESSAGE = 'darkroom: embargoed fix active';
export const PANIC_MESSAGE = 'darkroom: embargoed regression hit during boot';
/** Where patch (a)'s guest workload lives in the tree, and the workload that runs it. */
export const SERIES_WORKLOAD = { name: 'boot-message', path: 'tools/testing/selftests/darkroom/boot-message.sh' } as const;

export class KernelLabError extends Error {}

export interface PreparedTree {
  dir: string;
  base: string;
  cache: string;
}

/** The tree scripts/test-kernel.sh prepared and named in DARKROOM_KERNEL_TREE. */
export function preparedTree(): PreparedTree {
  const dir = process.env.DARKROOM_KERNEL_TREE;
  const cache = process.env.DARKROOM_KERNEL_CACHE;
  if (!dir || !cache || !existsSync(join(dir, '.git'))) {
    throw new KernelLabError('No prepared Linux tree: DARKROOM_KERNEL_TREE and DARKROOM_KERNEL_CACHE are unset or name no git tree; run `npm run test:kernel`, which prepares it (scripts/prepare-kernel-tree.sh)');
  }
  return { dir, cache, base: git(dir, 'rev-parse', 'HEAD') };
}

const GIT_ENV = {
  ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Mia Maintainer', GIT_AUTHOR_EMAIL: 'mia@example.org', GIT_COMMITTER_NAME: 'Mia Maintainer', GIT_COMMITTER_EMAIL: 'mia@example.org',
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();
}

/** One commit of a series: files replaced whole (new ones too), with their mode. */
export interface Change {
  subject: string;
  files: Array<{ path: string; text: (old: string) => string; mode?: '100644' | '100755' }>;
}

/**
 * The maintainer's own repository: a clone of the tester's tree that borrows its objects and
 * checks nothing out (a Linux checkout is a gigabyte). Commits are made with plumbing on a
 * private index, so the tester's tree never holds the series.
 */
export async function makeSeries(tree: PreparedTree, workDir: string, changes: readonly Change[]): Promise<string> {
  const repo = join(workDir, 'maintainer-linux');
  if (!existsSync(repo)) git(workDir, 'clone', '--quiet', '--shared', '--no-checkout', tree.dir, repo);
  const index = join(workDir, 'series.index');
  const env = { ...GIT_ENV, GIT_INDEX_FILE: index };
  const run = (args: string[], input?: string) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 }).trim();
  run(['read-tree', tree.base]);
  let head = tree.base;
  for (const change of changes) {
    for (const file of change.files) {
      const old = run(['ls-files', '--', file.path]) ? run(['show', `${head}:${file.path}`]) : '';
      const blob = run(['hash-object', '-w', '--stdin'], file.text(old));
      run(['update-index', '--add', '--cacheinfo', `${file.mode ?? '100644'},${blob},${file.path}`]);
    }
    head = run(['commit-tree', run(['write-tree']), '-p', head, '-m', change.subject]);
  }
  const out = join(workDir, `series-${head.slice(0, 12)}`);
  run(['format-patch', '--quiet', `--base=${tree.base}`, '-o', out, `${tree.base}..${head}`]);
  await rm(index, { force: true });
  return out;
}

const appendToInitMain = (code: string): Change['files'][number] => ({ path: 'init/main.c', text: (old) => `${old}\n${code}` });

/** (a) A boot message, then a guest workload in the tree that checks for it. */
export const PASSING_SERIES: readonly Change[] = [
  {
    subject: 'init: print that the embargoed fix is active',
    files: [appendToInitMain(`static int __init darkroom_boot_message(void)\n{\n\tpr_info("${BOOT_MESSAGE}\\n");\n\treturn 0;\n}\nlate_initcall(darkroom_boot_message);\n`)],
  },
  {
    subject: 'selftests: darkroom: check the boot message from inside the guest',
    files: [{
      path: SERIES_WORKLOAD.path, mode: '100755',
      text: () => `#!/bin/sh\n# KTAP: did the kernel print the embargoed fix's boot message?\necho 'KTAP version 1'\necho '1..1'\nif dmesg | grep -q '${BOOT_MESSAGE}'; then echo 'ok 1 boot_message_printed'; else echo 'not ok 1 boot_message_printed'; fi\n`,
    }],
  },
];

/** (b) Code that does not compile. */
export const BUILD_BREAKING_SERIES: readonly Change[] = [
  { subject: 'init: use a symbol nobody declared', files: [appendToInitMain('static int __init darkroom_broken(void)\n{\n\treturn darkroom_undeclared_symbol;\n}\nlate_initcall(darkroom_broken);\n')] },
];

/** (c) A panic early in boot, long before init runs the workloads. */
export const PANICKING_SERIES: readonly Change[] = [
  { subject: 'init: panic during the core initcalls', files: [appendToInitMain(`static int __init darkroom_panic(void)\n{\n\tpanic("${PANIC_MESSAGE}");\n\treturn 0;\n}\ncore_initcall(darkroom_panic);\n`)] },
];

export interface AgentProfile {
  config: string;
  stateDir: string;
  /** The agent's workspace: the cache's (shared by runs) or one of its own below the test's dir. */
  workspace: string;
}

/**
 * Copies examples/linux/ into `dir` and points its agent.yaml at the coordinator, its maintainer
 * (`trusted_maintainers`), the prepared tree and a state directory; adds the workload patch (a)
 * brings. The workspace (private clone and reused build directory) lives in the cache, as a lab's
 * would, so a second run is warm. `fresh: 'unless-cache-empty'` promises an empty workspace: the
 * cache's when it holds nothing yet (its build then serves the tests after), else one of the
 * agent's own below `dir`.
 */
export async function writeProfile(dir: string, options: { url: string; fingerprint: string; trust: string[]; tree: PreparedTree; fresh?: 'unless-cache-empty' }): Promise<AgentProfile> {
  const profile = join(dir, 'profile');
  await cp(PROFILE_DIR, profile, { recursive: true });
  const config = join(profile, 'agent.yaml');
  const doc = parseDocument(await readFile(config, 'utf8'));
  const stateDir = join(dir, 'state');
  doc.setIn(['coordinator', 'url'], options.url);
  doc.setIn(['coordinator', 'fingerprint'], options.fingerprint);
  doc.setIn(['trusted_maintainers'], doc.createNode(options.trust));
  doc.setIn(['state_dir'], stateDir);
  doc.setIn(['trees', TREE_NAME], options.tree.dir);
  const workloads = doc.getIn(['workloads']) as { add(item: unknown): void };
  workloads.add(doc.createNode({ name: SERIES_WORKLOAD.name, command: `\${TREE}/${SERIES_WORKLOAD.path}`, format: 'ktap', in_guest: true }));
  await writeFile(config, doc.toString());
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const shared = await labWorkspace(options.tree);
  const ownWorkspace = options.fresh !== undefined && (await readdir(shared)).length > 0;
  const workspace = ownWorkspace ? join(stateDir, 'workspace') : shared;
  if (!ownWorkspace) await symlink(shared, join(stateDir, 'workspace'));
  return { config, stateDir, workspace };
}

/** One workspace per prepared commit; those of earlier trees (whose objects are gone) are removed. */
async function labWorkspace(tree: PreparedTree): Promise<string> {
  const root = join(tree.cache, 'agent-workspace');
  const name = tree.base.slice(0, 12);
  await mkdir(root, { recursive: true, mode: 0o700 });
  for (const other of await readdir(root)) if (other !== name) await rm(join(root, other), { recursive: true, force: true });
  await mkdir(join(root, name), { recursive: true, mode: 0o700 });
  return join(root, name);
}

/** Files below `dirs` that hold any of `needles` (grep exits 1 when none does). */
export function filesContaining(dirs: readonly string[], needles: readonly string[]): string[] {
  try {
    return execFileSync('grep', ['-rlaF', ...needles.flatMap((needle) => ['-e', needle]), '--', ...dirs], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).split('\n').filter(Boolean);
  } catch (error) {
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}
