// The tester's tree, as the pipeline uses it: a private clone that borrows the tester's objects
// (so the tester's own repository is never written to), checked out at the bundle's base, the
// series applied with `git am`, and put back to the base afterwards with every patched object gone.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DarkroomError, messageOf } from '../../shared/errors.js';
import { gitScriptCommand, parseGitReport, type GitStep, type GitStepResult } from './git-script.js';
import { applyPlan, checkoutPlan, resetSteps, updateSteps, type CloneState } from './git-steps.js';
import { BWRAP, STATUS_FD, commandRan, wrapCommand, type JobSandbox } from '../sandbox/index.js';

export type GitTreeErrorCode = 'TREE_UNUSABLE' | 'BASE_MISSING' | 'GIT_FAILED' | 'SANDBOX_FAILED';

export class GitTreeError extends DarkroomError<GitTreeErrorCode> {}

const IDENTITY = ['-c', 'user.name=Darkroom Agent', '-c', 'user.email=agent@darkroom.invalid', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'];

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
/** How much of git's or bwrap's output an error message quotes. */
const QUOTED_CHARS = 800;

/** The sandbox of a job's git steps; `inputs` are the job's files a step reads (the patches). */
export type GitSandbox = Pick<JobSandbox, 'git'>;

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

const tail = (text: string) => text.trim().slice(-QUOTED_CHARS);
const fileName = (path: string) => path.split('/').pop() ?? path;

export class GitTree {
  readonly source: string;
  readonly dir: string;
  readonly #sandbox: GitSandbox | undefined;

  constructor(source: string, dir: string, sandbox?: GitSandbox) {
    this.source = source;
    this.dir = dir;
    this.#sandbox = sandbox;
  }

  /**
   * Runs `steps` in the clone as one process (git-script.ts), inside the job's sandbox when there
   * is one: git reads the series (am) and what the series changed (checkout, clean, gc), so it is
   * held to the same walls as a build. `inputs` are the job's files the steps read (the patches).
   */
  async #run(steps: readonly GitStep[], inputs: readonly string[] = []): Promise<GitStepResult[]> {
    const policy = this.#sandbox?.git(inputs);
    const { file, args } = wrapCommand(policy, gitScriptCommand(steps, IDENTITY), { cwd: this.dir, statusFd: STATUS_FD });
    const env = policy ? { env: { ...policy.env, ...GIT_ENV }, extendEnv: false } : { env: GIT_ENV };
    const run = await execa(file, args, { cwd: this.dir, reject: false, encoding: 'buffer', stripFinalNewline: false, stdio: ['ignore', 'pipe', 'pipe', policy ? 'pipe' : 'ignore'], ...env });
    const said = () => tail(Buffer.from(run.stderr).toString());
    const what = steps.map((step) => step.args[0]).join(', ');
    if (policy && !commandRan(Buffer.from(run.stdio[STATUS_FD] ?? []).toString())) {
      throw new GitTreeError('SANDBOX_FAILED', `The sandbox of the git steps (${what}) could not be set up in ${this.dir} (${BWRAP} exit ${run.exitCode}): ${said()}: run darkroom agent check`);
    }
    try {
      return parseGitReport(run.stdout, steps.length);
    } catch (error) {
      throw new GitTreeError('GIT_FAILED', `The git steps (${what}) did not run to their end in ${this.dir} (exit ${run.exitCode}, ${messageOf(error)}): ${said()}`, { cause: error });
    }
  }

  /** What the clone holds now. */
  async #look(): Promise<CloneState> {
    const exists = (path: string) => stat(join(this.dir, path)).then(() => true, () => false);
    const [present, amInProgress] = await Promise.all([exists('.git'), exists('.git/rebase-apply')]);
    return { present, amInProgress };
  }

  /**
   * What the clone holds now, ready for its steps: before the first clone, the tester's tree is
   * checked and the clone's directory made, so a tree that is not a repository is named as such.
   */
  async #ready(): Promise<CloneState> {
    const state = await this.#look();
    if (!state.present) {
      const usable = await checkTree(this.source);
      if (!usable.ok) throw new GitTreeError('TREE_UNUSABLE', `Declared tree is unusable: ${usable.problem}`);
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    }
    return state;
  }

  /** Throws when a required step failed: a missing base (`revParse` failed) is named as such, not as a failure of git. */
  #check(base: string, steps: readonly GitStep[], results: readonly GitStepResult[], revParse?: number): void {
    const failed = results.find((result) => result.exitCode !== 0 && steps[result.index]!.kind === 'required');
    if (!failed) return;
    if (failed.index === revParse) {
      throw new GitTreeError('BASE_MISSING', `Base ${base} is not in the tree at ${this.source}: fetch it there (git fetch) and the job will be retried`);
    }
    throw new GitTreeError('GIT_FAILED', `git ${steps[failed.index]!.args.join(' ')} failed in ${this.dir} (exit ${failed.exitCode}): ${tail(failed.output)}`);
  }

  /** The full commit id `base` names in the clone (updated first), or null when the clone lacks it. */
  async resolve(base: string): Promise<string | null> {
    const update = updateSteps(this.source, await this.#ready(), base);
    const steps: GitStep[] = [...update, { args: ['rev-parse', '--verify', '--quiet', `${base}^{commit}`], kind: 'optional' }];
    const results = await this.#run(steps);
    this.#check(base, steps, results);
    const resolved = results.at(-1)!;
    return resolved.exitCode === 0 ? resolved.output.trim() : null;
  }

  /** Detaches at `base` (the clone updated first); returns its full commit id. */
  async checkout(base: string): Promise<string> {
    const plan = checkoutPlan(this.source, await this.#ready(), base);
    const results = await this.#run(plan.steps);
    this.#check(base, plan.steps, results, plan.revParse);
    return results[plan.revParse]!.output.trim();
  }

  /**
   * Detaches at `base` as checkout does, then applies the patch files in order with `git am`,
   * stopping at the first that does not apply: one process for the whole stage.
   */
  async apply(base: string, patches: readonly string[]): Promise<ApplyOutcome> {
    const plan = applyPlan(this.source, await this.#ready(), base, patches);
    const results = await this.#run(plan.steps, patches);
    const ams = results.filter((result) => result.index >= plan.checkoutSteps && result.index < plan.checkoutSteps + patches.length);
    this.#check(base, plan.steps.slice(0, plan.checkoutSteps), results.filter((result) => result.index < plan.checkoutSteps), plan.revParse);
    const log = ams.map((result) => `$ git am ${fileName(patches[result.index - plan.checkoutSteps]!)}\n${result.output}\n`).join('');
    const failed = ams.findIndex((result) => result.exitCode !== 0);
    if (failed < 0) return { applied: patches.length, log };
    return { applied: failed, failedPatch: failed + 1, failedName: fileName(patches[failed]!), log };
  }

  /**
   * Puts the checkout back to `base` and drops every object the series created, so no patched
   * content survives in the clone between jobs.
   */
  async reset(base: string): Promise<void> {
    const state = await this.#look();
    if (state.present) await this.#run(resetSteps(state, base));
  }
}
