// The tester's tree, as the pipeline uses it: a private clone that borrows the tester's objects
// (so the tester's own repository is never written to), checked out at the bundle's base, the
// series applied with `git am`, and put back to the base afterwards with every patched object gone.
import { execa } from 'execa';
import { mkdir, stat } from 'node:fs/promises';
import { DarkroomError } from '../../shared/errors.js';
import { BWRAP, STATUS_FD, commandRan, wrapCommand, type JobSandbox } from '../sandbox/index.js';

export type GitTreeErrorCode = 'TREE_UNUSABLE' | 'BASE_MISSING' | 'GIT_FAILED' | 'SANDBOX_FAILED';

export class GitTreeError extends DarkroomError<GitTreeErrorCode> {}

const IDENTITY = ['-c', 'user.name=Darkroom Agent', '-c', 'user.email=agent@darkroom.invalid', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'];

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

/** The sandbox of a job's git steps; `inputs` are the job's files a step reads (the patches). */
export type GitSandbox = Pick<JobSandbox, 'git'>;

interface GitOptions {
  reject?: boolean;
  sandbox?: GitSandbox | undefined;
  inputs?: readonly string[];
}

/**
 * Runs git in `cwd`, inside the job's sandbox when there is one: git reads the series (am) and
 * what the series changed (checkout, clean, gc), so it is held to the same walls as a build.
 */
async function git(cwd: string, args: string[], options: GitOptions = {}) {
  const policy = options.sandbox?.git(options.inputs);
  const { file, args: argv } = wrapCommand(policy, ['git', ...IDENTITY, ...args], { cwd, statusFd: STATUS_FD });
  const env = policy ? { env: { ...policy.env, ...GIT_ENV }, extendEnv: false } : { env: GIT_ENV };
  const result = await execa(file, argv, { cwd, reject: false, all: true, stdio: ['ignore', 'pipe', 'pipe', policy ? 'pipe' : 'ignore'], ...env });
  if (policy && !commandRan(String(result.stdio[STATUS_FD] ?? ''))) {
    throw new GitTreeError('SANDBOX_FAILED', `The sandbox of git ${args[0]} could not be set up in ${cwd} (${BWRAP} exit ${result.exitCode}): ${String(result.all ?? '').trim().slice(-400)}: run darkroom agent check`);
  }
  if (result.exitCode !== 0 && options.reject !== false) {
    throw new GitTreeError('GIT_FAILED', `git ${args.join(' ')} failed in ${cwd} (exit ${result.exitCode}): ${String(result.all ?? '').trim().slice(-800)}`);
  }
  return result;
}

/** Checks that `path` is a git repository with at least one commit; the message says what to fix. */
export async function checkTree(path: string): Promise<{ ok: true; head: string } | { ok: false; problem: string }> {
  const exists = await stat(path).then((s) => s.isDirectory(), () => false);
  if (!exists) return { ok: false, problem: `${path} does not exist or is not a directory` };
  const result = await execa('git', ['-C', path, 'rev-parse', '--verify', 'HEAD^{commit}'], { reject: false });
  if (result.exitCode !== 0) return { ok: false, problem: `${path} is not a git repository with a commit (git rev-parse HEAD failed): clone or init it first` };
  return { ok: true, head: result.stdout.trim() };
}

export interface ApplyOutcome {
  applied: number;
  /** 1-based index of the patch that did not apply, when one did not. */
  failedPatch?: number;
  failedName?: string;
  /** git am's own explanation (goes to the sealed log, not to the coordinator). */
  log: string;
}

export class GitTree {
  readonly source: string;
  readonly dir: string;
  readonly #sandbox: GitSandbox | undefined;

  constructor(source: string, dir: string, sandbox?: GitSandbox) {
    this.source = source;
    this.dir = dir;
    this.#sandbox = sandbox;
  }

  #git(args: string[], options: Omit<GitOptions, 'sandbox'> = {}) {
    return git(this.dir, args, { ...options, sandbox: this.#sandbox });
  }

  /** Makes the private clone on first use; later calls fetch what the tester's tree gained since. */
  async ensure(): Promise<void> {
    const present = await stat(`${this.dir}/.git`).then(() => true, () => false);
    if (!present) {
      const usable = await checkTree(this.source);
      if (!usable.ok) throw new GitTreeError('TREE_UNUSABLE', `Declared tree is unusable: ${usable.problem}`);
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await this.#git(['clone', '--quiet', '--shared', '--no-checkout', this.source, '.']);
      return;
    }
    await this.#git(['fetch', '--quiet', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']);
  }

  /** The full commit id `base` names in the clone, or null when the clone lacks it. */
  async resolve(base: string): Promise<string | null> {
    await this.ensure();
    const resolved = await this.#git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`], { reject: false });
    return resolved.exitCode === 0 ? resolved.stdout.trim() : null;
  }

  /** Detaches at `base`; a base the tester's tree lacks is an infrastructure error, not a failure. */
  async checkout(base: string): Promise<string> {
    await this.ensure();
    const resolved = await this.#git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`], { reject: false });
    if (resolved.exitCode !== 0) {
      throw new GitTreeError('BASE_MISSING', `Base ${base} is not in the tree at ${this.source}: fetch it there (git fetch) and the job will be retried`);
    }
    await this.#git(['am', '--abort'], { reject: false });
    await this.#git(['checkout', '--quiet', '--force', '--detach', resolved.stdout.trim()]);
    await this.#git(['clean', '-fdxq']);
    return resolved.stdout.trim();
  }

  /** Applies the patch files in order with `git am`, stopping at the first that does not apply. */
  async apply(patches: string[]): Promise<ApplyOutcome> {
    let log = '';
    for (const [index, patch] of patches.entries()) {
      const result = await this.#git(['am', '--quiet', '--3way', '--keep-cr', patch], { reject: false, inputs: [patch] });
      log += `$ git am ${patch.split('/').pop()}\n${String(result.all ?? '')}\n`;
      if (result.exitCode !== 0) {
        await this.#git(['am', '--abort'], { reject: false });
        return { applied: index, failedPatch: index + 1, failedName: patch.split('/').pop() ?? patch, log };
      }
    }
    return { applied: patches.length, log };
  }

  /**
   * Puts the checkout back to `base` and drops every object the series created, so no patched
   * content survives in the clone between jobs.
   */
  async reset(base: string): Promise<void> {
    await this.#git(['am', '--abort'], { reject: false });
    await this.#git(['checkout', '--quiet', '--force', '--detach', base], { reject: false });
    await this.#git(['clean', '-fdxq'], { reject: false });
    await this.#git(['reflog', 'expire', '--expire=now', '--all'], { reject: false });
    await this.#git(['gc', '--quiet', '--prune=now'], { reject: false });
  }
}
