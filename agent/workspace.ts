// Where a job's plaintext lives: private (0700) directories under one root, which can sit on a
// memory-backed file system, and which are wiped when a job ends and again on start after a crash.
import { chmod, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jobIdProblem } from '../shared/peer-names.js';

export interface JobWorkspace {
  jobId: string;
  /** The job's own directory; everything below it is removed when the job ends. */
  dir: string;
  /** The decrypted series and manifest. */
  seriesDir: string;
  /** Stage logs before they are sealed into the result. */
  logsDir: string;
  /** Scratch for workloads and boot artefacts (initramfs, console log). */
  scratchDir: string;
}

export class Workspaces {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /**
   * The workspaces below `root` (created if missing) by its real path, so the paths a build
   * records (kbuild writes absolute source and output paths into every .cmd file) stay the same
   * when the state directory is reached through another symlink or bind mount: a different path
   * would rebuild the whole reused build directory.
   */
  static async open(root: string): Promise<Workspaces> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    return new Workspaces(await realpath(root));
  }

  get jobsDir(): string {
    return join(this.root, 'jobs');
  }

  /** The reusable checkout of a declared tree (base content only between jobs). */
  treeDir(tree: string): string {
    return join(this.root, 'trees', tree);
  }

  /** The reusable out-of-tree build directory of a declared tree. */
  buildDir(tree: string): string {
    return join(this.root, 'build', tree);
  }

  async prepare(): Promise<void> {
    for (const dir of [this.root, this.jobsDir, join(this.root, 'trees'), join(this.root, 'build')]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
    }
  }

  async create(jobId: string): Promise<JobWorkspace> {
    const dir = join(this.jobsDir, safeName(jobId));
    const workspace = { jobId, dir, seriesDir: join(dir, 'series'), logsDir: join(dir, 'logs'), scratchDir: join(dir, 'scratch') };
    for (const sub of [dir, workspace.seriesDir, workspace.logsDir, workspace.scratchDir]) await mkdir(sub, { recursive: true, mode: 0o700 });
    return workspace;
  }

  /** Removes a tree's clone, made again by the next job on the tree. */
  async wipeClone(tree: string): Promise<void> {
    await rm(this.treeDir(tree), { recursive: true, force: true });
  }

  async wipe(jobId: string): Promise<void> {
    await rm(join(this.jobsDir, safeName(jobId)), { recursive: true, force: true });
  }

  /** Job directories present now (after a crash: left over). */
  async leftovers(): Promise<string[]> {
    return readdir(this.jobsDir).catch(() => []);
  }

  async wipeAll(): Promise<string[]> {
    const left = await this.leftovers();
    for (const name of left) await rm(join(this.jobsDir, name), { recursive: true, force: true });
    return left;
  }
}

function safeName(jobId: string): string {
  const problem = jobIdProblem(jobId);
  if (problem) throw new Error(problem);
  return jobId;
}
