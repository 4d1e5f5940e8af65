// A reused out-of-tree build directory (tree setting reuse_build_dir): built once at the job's
// base before the series is applied, so each job's build is incremental; when the job ends,
// everything it wrote there is deleted again, so only output of the base survives between jobs.
import { lstat, mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../../shared/errors.js';
import { runCommand } from '../process/index.js';
import { logPath, stageEnv, type PipelineContext } from './context.js';
import { commandVerdict } from './stages.js';

/**
 * Written into the build directory once it holds a build of the base; it names that base, and
 * its modification time separates the base's output from what later jobs wrote.
 */
export const BASE_MARKER = '.darkroom-base';
/** The log of the base build, beside the job's stage logs. */
export const WARM_LOG = 'warm-build';

export interface WarmOutcome {
  /** `warm`: already built at this base; `built`: built now; `cold`: unusable, removed. */
  state: 'warm' | 'built' | 'cold';
  /** The whole warm-up: the checkout of the base and, when `built`, its build. */
  durationMs: number;
  /** The build command's own time, when `built`. */
  buildMs?: number;
  reason?: string;
}

async function markedBase(buildDir: string): Promise<{ base: string; mtimeMs: number } | undefined> {
  const path = join(buildDir, BASE_MARKER);
  const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => undefined), lstat(path).catch(() => undefined)]);
  return text === undefined || !info ? undefined : { base: text.trim(), mtimeMs: info.mtimeMs };
}

/**
 * Makes the build directory hold a build of `base` (checked out in the job's clone). A base that
 * does not build leaves the directory removed: the job then builds from scratch, as without reuse.
 */
export async function warmBuildDir(base: string, ctx: PipelineContext): Promise<WarmOutcome> {
  const build = ctx.tree.build;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (!build) return { state: 'cold', durationMs: 0, reason: 'no build configured' };
  const commit = await ctx.gitTree.checkout(base);
  if ((await markedBase(ctx.buildDir))?.base === commit) return { state: 'warm', durationMs: elapsed() };
  await rm(join(ctx.buildDir, BASE_MARKER), { force: true });
  await mkdir(ctx.buildDir, { recursive: true, mode: 0o700 });
  const run = await runCommand(build.command, {
    cwd: ctx.gitTree.dir, logPath: logPath(ctx, WARM_LOG), timeoutMs: build.timeoutMs, signal: ctx.signal, env: stageEnv(ctx), logger: ctx.logger,
  });
  const verdict = commandVerdict(run, 'ERROR');
  if (verdict.status !== 'PASS') {
    await rm(ctx.buildDir, { recursive: true, force: true });
    return { state: 'cold', durationMs: elapsed(), reason: `the base did not build: ${verdict.reason}` };
  }
  await writeFile(join(ctx.buildDir, BASE_MARKER), `${commit}\n`, { mode: 0o600 });
  return { state: 'built', durationMs: elapsed(), buildMs: run.durationMs };
}

/**
 * Deletes what was written to the build directory after its base build: every file newer than
 * the marker, then the directories that emptied. Without a marker the whole directory goes.
 */
export async function scrubBuildDir(buildDir: string): Promise<{ removed: number }> {
  const marker = await markedBase(buildDir);
  if (!marker) {
    await rm(buildDir, { recursive: true, force: true });
    return { removed: 0 };
  }
  return { removed: await scrub(buildDir, marker.mtimeMs, true) };
}

async function scrub(dir: string, sinceMs: number, top: boolean): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (top && entry.name === BASE_MARKER) continue;
    if (entry.isDirectory()) {
      removed += await scrub(path, sinceMs, false);
      const info = await lstat(path);
      if (info.mtimeMs > sinceMs) await rmdir(path).catch(() => undefined);
    } else if ((await lstat(path)).mtimeMs > sinceMs) {
      await rm(path, { force: true });
      removed += 1;
    }
  }
  return removed;
}

/**
 * What a job leaves in its tree's build directory when it ends: with reuse, the base build only;
 * without, nothing.
 */
export async function cleanBuildDir(buildDir: string, reuse: boolean): Promise<void> {
  if (reuse) await scrubBuildDir(buildDir);
  else await rm(buildDir, { recursive: true, force: true });
}

/**
 * The warm-up as the pipeline runs it: never throws (a tree that cannot even be checked out is
 * reported by the apply stage), and logs what it did with how long it took.
 */
export async function prepareBuildDir(base: string, ctx: PipelineContext): Promise<WarmOutcome> {
  let outcome: WarmOutcome;
  try {
    outcome = await warmBuildDir(base, ctx);
  } catch (error) {
    await rm(ctx.buildDir, { recursive: true, force: true });
    outcome = { state: 'cold', durationMs: 0, reason: messageOf(error) };
  }
  if (outcome.state === 'cold') ctx.logger.warn({ reason: outcome.reason }, 'Build directory not reused: this job builds from scratch');
  else ctx.logger.info({ state: outcome.state, durationMs: outcome.durationMs, buildMs: outcome.buildMs }, 'build directory holds a build of the base');
  return outcome;
}
