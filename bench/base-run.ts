// What a base run adds to a job: the series' own pipeline on the test C project (the baseline),
// then the same job's base run uncached and from the cache, in the same run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseCache } from '../agent/base-run/cache.js';
import { withBaseStatuses } from '../agent/base-run/run.js';
import { runPipeline } from '../agent/pipeline/run-job.js';
import { lab } from '../test/support/pipeline-lab.js';
import { round, seconds } from './measure.js';

const ROUNDS = 5;
const EDIT = { file: 'hello.c', from: 'int add(int a, int b) { return a + b; }', to: '/* Adds two numbers. */\nint add(int a, int b) { return a + b; }', subject: 'hello: document add' };

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

export async function benchBaseRun(): Promise<Record<string, unknown>> {
  const cleanups: Array<() => Promise<void>> = [];
  const rig = await lab({ after: (fn) => cleanups.push(fn) });
  const stateDir = await mkdtemp(join(tmpdir(), 'dr-bench-base-'));
  try {
    const patches = await rig.series([EDIT]);
    const timings = { series: [] as number[], uncached: [] as number[], cached: [] as number[] };
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      const cache = new BaseCache(join(stateDir, `round-${round_}`));
      const plan = { jobId: `bench-${round_}`, base: rig.base, patches, workloads: [] };
      const ctx = await rig.context({});
      let stages = (await runPipeline(plan, ctx)).stages;
      timings.series.push(await seconds(async () => (stages = (await runPipeline(plan, await rig.context({}))).stages)));
      timings.uncached.push(await seconds(() => withBaseStatuses({ plan, stages, ctx: { ...ctx, progress: () => undefined }, cache, agentName: 'bench' })));
      timings.cached.push(await seconds(() => withBaseStatuses({ plan, stages, ctx: { ...ctx, progress: () => undefined }, cache, agentName: 'bench' })));
    }
    const series = median(timings.series);
    return {
      name: 'base run of a job (build + TAP workload of the test C project), uncached and cached, beside the series pipeline',
      series_pipeline_ms: round(series * 1000, 0),
      base_uncached_ms: round(median(timings.uncached) * 1000, 0),
      base_cached_ms: round(median(timings.cached) * 1000, 1),
      uncached_ratio_to_series: round(median(timings.uncached) / series, 2),
      cached_ratio_to_series: round(median(timings.cached) / series, 3),
    };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
    for (const cleanup of cleanups) await cleanup();
  }
}
