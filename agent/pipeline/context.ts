// What every stage of a job is given: the tree's settings, the checkout, the workspace, progress.
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import type { Status } from '../../shared/status.js';
import type { RunTracker } from '../process/index.js';
import type { JobSandbox } from '../sandbox/index.js';
import type { JobWorkspace } from '../workspace.js';
import type { WarmOutcome } from './build-cache.js';
import type { GitTree } from './git-tree.js';
import type { TreeSettings } from './settings.js';
import type { StageInit } from './stages.js';

export interface PipelineContext {
  tree: TreeSettings;
  gitTree: GitTree;
  buildDir: string;
  workspace: JobWorkspace;
  logger: Logger;
  signal: AbortSignal;
  progress: (stage: string, event: 'started' | 'finished', status?: Status) => void;
  /** Records every command the stages run, for a later agent to end if this one dies. */
  tracker?: RunTracker;
  /** The sandbox every command of the job runs in; absent (agent.yaml `sandbox: none`): none. */
  sandbox?: JobSandbox;
  /**
   * Persists the job before a `reboot` or `kexec` boot leaves this process: the stages done so
   * far, to be given back to resumePipeline on the agent's next start. Absent: those methods ERROR.
   */
  beforeReboot?: (completed: StageInit[]) => Promise<void>;
  /**
   * Runs once the reused build directory holds a build of the base, before the series is
   * applied: a job whose warm-up has just built the base runs its base run here (base-run/run.ts).
   */
  afterWarmUp?: (warm: WarmOutcome) => Promise<void>;
}

/** Where a stage's log is kept in the workspace (sealed into the result later). */
export function logPath(ctx: Pick<PipelineContext, 'workspace'>, stageName: string): string {
  return join(ctx.workspace.logsDir, `${stageName.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
}

/** The environment every stage command sees, besides the agent's own. */
export function stageEnv(ctx: Pick<PipelineContext, 'workspace' | 'gitTree' | 'tree' | 'buildDir'>): Record<string, string> {
  return {
    DARKROOM_JOB_ID: ctx.workspace.jobId,
    DARKROOM_TREE: ctx.gitTree.dir,
    DARKROOM_TREE_NAME: ctx.tree.name,
    DARKROOM_BUILD_DIR: ctx.buildDir,
    DARKROOM_SCRATCH: ctx.workspace.scratchDir,
    DARKROOM_CONFIG_DIR: ctx.tree.configDir,
  };
}

/** Paths in the settings may name the build directory or the checkout: ${BUILD_DIR}, ${TREE}; relative ones are in the checkout. */
export function resolvePath(ctx: Pick<PipelineContext, 'gitTree' | 'buildDir'>, path: string): string {
  const expanded = path.replaceAll('${BUILD_DIR}', ctx.buildDir).replaceAll('${TREE}', ctx.gitTree.dir);
  return expanded.startsWith('/') ? expanded : join(ctx.gitTree.dir, expanded);
}
