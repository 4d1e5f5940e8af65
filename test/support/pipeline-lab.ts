// A tester's lab for pipeline tests: a real C project, an agent workspace, a job context.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../shared/log.js';
import { statusFromProto, type Status } from '../../shared/status.js';
import { GitTree } from '../../agent/pipeline/git-tree.js';
import type { PipelineContext } from '../../agent/pipeline/run-job.js';
import type { TreeSettings, WorkloadSettings } from '../../agent/pipeline/settings.js';
import type { StageInit } from '../../agent/pipeline/stages.js';
import { Workspaces } from '../../agent/workspace.js';
import { makeCProject, makeSeries, type Edit } from './c-project.js';

export interface Lab {
  dir: string;
  repo: string;
  base: string;
  context: (tree: Partial<TreeSettings>) => Promise<PipelineContext & { events: string[] }>;
  series: (edits: readonly Edit[]) => Promise<string[]>;
}

export const TAP_WORKLOAD: WorkloadSettings = { name: 'unit', command: './test.sh', timeoutMs: 30_000, format: 'tap', inGuest: false };
export const BUILD = { command: 'make', timeoutMs: 60_000 };

export async function lab(t: { after: (fn: () => Promise<void>) => void }): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-pipe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const repo = join(dir, 'tester-tree');
  const base = await makeCProject(repo);
  const workspaces = new Workspaces(join(dir, 'agent'));
  await workspaces.prepare();
  let jobs = 0;
  return {
    dir, repo, base,
    series: (edits) => makeSeries(repo, base, edits, join(dir, `series-${++jobs}`)),
    context: async (tree) => {
      const workspace = await workspaces.create(`job-${++jobs}`);
      const events: string[] = [];
      return {
        tree: { name: 'hello', path: repo, configDir: repo, build: BUILD, reuseBuildDir: false, boot: { method: 'none' }, workloads: [TAP_WORKLOAD], ...tree },
        gitTree: new GitTree(repo, workspaces.treeDir('hello')), buildDir: workspaces.buildDir('hello'), workspace,
        logger: silentLogger, signal: new AbortController().signal,
        progress: (stage, event, status) => events.push(`${stage} ${event}${status ? ` ${status}` : ''}`),
        events,
      };
    },
  };
}

export const verdicts = (stages: readonly StageInit[]): Record<string, Status> =>
  Object.fromEntries(stages.map((s) => [s.name!, statusFromProto(s.status!)]));
export const stageOf = (stages: readonly StageInit[], name: string) => stages.find((s) => s.name === name)!;
