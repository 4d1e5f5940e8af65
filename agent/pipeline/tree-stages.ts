// The apply and build stages: the series onto the base with git am, then the tester's build command.
import { writeFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { runCommand } from '../process/index.js';
import { logPath, stageEnv, type PipelineContext } from './context.js';
import { APPLY, BUILD, commandVerdict, stage, type StageInit } from './stages.js';

/** A patch that does not apply is the series' FAIL; the log names it and says why. */
export async function applyStage(base: string, patches: readonly string[], ctx: PipelineContext): Promise<StageInit> {
  const outcome = await ctx.gitTree.apply(base, patches);
  await writeFile(logPath(ctx, APPLY), outcome.log, { mode: 0o600 });
  if (outcome.failedPatch) {
    return stage(APPLY, 'FAIL', 0, `patch ${outcome.failedPatch} of ${patches.length} (${outcome.failedName}) did not apply; see the apply log`);
  }
  return stage(APPLY, 'PASS', 0);
}

/** Runs in the checkout with DARKROOM_BUILD_DIR set (created if missing) for out-of-tree builds. */
export async function buildStage(ctx: PipelineContext): Promise<StageInit> {
  if (!ctx.tree.build) return stage(BUILD, 'SKIP', 0, 'no build configured');
  await mkdir(ctx.buildDir, { recursive: true, mode: 0o700 });
  const run = await runCommand(ctx.tree.build.command, {
    cwd: ctx.gitTree.dir, logPath: logPath(ctx, BUILD), timeoutMs: ctx.tree.build.timeoutMs, signal: ctx.signal,
    env: stageEnv(ctx), logger: ctx.logger, tracker: ctx.tracker, sandbox: ctx.sandbox?.command(),
  });
  const verdict = commandVerdict(run, 'ERROR');
  return stage(BUILD, verdict.status, run.durationMs, verdict.reason);
}
