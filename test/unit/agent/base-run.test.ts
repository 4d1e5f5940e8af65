// The base run: on a base the job's warm-up has just built it goes first and uses that build as it
// is; after a series, with reuse_build_dir it keeps the base build the series was built on and
// rebuilds only what the series touched (one full build of the base per job, not two); without
// it, the base builds from scratch. Either way it runs the base's own code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseRunOnWarmUp, withBaseStatuses, type BaseOutcomes } from '../../../agent/base-run/run.js';
import { BaseCache } from '../../../agent/base-run/cache.js';
import { BASE_MARKER, type WarmOutcome } from '../../../agent/pipeline/build-cache.js';
import { runPipeline } from '../../../agent/pipeline/run-job.js';
import type { WorkloadSettings } from '../../../agent/pipeline/settings.js';
import { lab, verdicts, type Lab } from '../../support/pipeline-lab.js';

const SERIES = [{ file: 'hello.c', from: 'greeting hello', to: 'greeting embargoed', subject: 'hello: new greeting' }];
/** Passes on the base, fails with the series: the base run must run the base's own build, nothing of the series'. */
const GREETS: WorkloadSettings = {
  name: 'greets', command: '[ ! -e "$DARKROOM_BUILD_DIR/series-only" ] && "$DARKROOM_BUILD_DIR/hello" | grep -q "greeting hello"', timeoutMs: 30_000, format: 'exit-code', inGuest: false,
};

/**
 * An out-of-tree make build, as kbuild's: a host tool made once per build directory and the
 * program, rebuilt when its source is newer, with a file only the series' build makes; every
 * compile is logged to `compiles.log`.
 */
async function outOfTreeBuild(l: Lab): Promise<{ command: string; timeoutMs: number; compiles: () => Promise<string[]> }> {
  const log = join(l.dir, 'compiles.log');
  const makefile = join(l.dir, 'build.mk');
  await writeFile(makefile, `hello: $(SRC)/hello.c tool\n\techo hello >> ${log}; cc -O0 -o hello $(SRC)/hello.c; if grep -q embargoed $(SRC)/hello.c; then echo series > series-only; fi\n\ntool:\n\techo tool >> ${log}; echo tool > tool\n`);
  return {
    command: `mkdir -p "$DARKROOM_BUILD_DIR" && make -s -C "$DARKROOM_BUILD_DIR" -f ${makefile} SRC="$PWD" hello`,
    timeoutMs: 60_000,
    compiles: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}

async function seriesThenBase(l: Lab, reuseBuildDir: boolean) {
  const build = await outOfTreeBuild(l);
  const tree = { build, reuseBuildDir, workloads: [GREETS] };
  const ctx = await l.context(tree);
  const plan = { jobId: 'j1', base: l.base, patches: await l.series(SERIES), workloads: [] };
  const series = await runPipeline(plan, ctx);
  assert.deepEqual(verdicts(series.stages), { apply: 'PASS', build: 'PASS', boot: 'SKIP', 'workload:greets': 'FAIL' });
  const baseCtx = await l.context(tree);
  const stages = await withBaseStatuses({ plan, stages: series.stages, ctx: baseCtx, cache: new BaseCache(join(l.dir, 'state')), agentName: 'lab-a' });
  return { stages, ctx, baseCtx, compiles: await build.compiles() };
}

test('with a reused build directory the base run keeps the base build and rebuilds only what the series touched', async (t) => {
  const l = await lab(t);
  const { stages, ctx, baseCtx, compiles } = await seriesThenBase(l, true);
  assert.deepEqual(compiles, ['tool', 'hello', 'hello', 'hello'], 'the tool once (one base build), the program for the base, the series and the base again');
  assert.equal(stages.find((s) => s.name === 'workload:greets')!.baseStatus, 'PASS', 'the base run ran the base\'s program');
  assert.equal((await readFile(join(ctx.buildDir, BASE_MARKER), 'utf8')).trim(), l.base, 'the base build is still marked');
  assert.match(await readFile(join(baseCtx.buildDir, 'hello'), 'latin1'), /greeting hello/);
  assert.equal(existsSync(join(baseCtx.buildDir, 'series-only')), false, 'what the series built is gone');
});

test('without reuse the base run builds the base from scratch', async (t) => {
  const l = await lab(t);
  const { stages, compiles } = await seriesThenBase(l, false);
  assert.deepEqual(compiles, ['tool', 'hello', 'tool', 'hello'], 'the series from scratch, then the base from scratch');
  assert.equal(stages.find((s) => s.name === 'workload:greets')!.baseStatus, 'PASS');
});

test('on a base the warm-up has just built, the base run goes first and builds nothing of its own', async (t) => {
  const l = await lab(t);
  const build = await outOfTreeBuild(l);
  const tree = { build, reuseBuildDir: true, workloads: [GREETS] };
  const plan = { jobId: 'j1', base: l.base, patches: await l.series(SERIES), workloads: [] };
  const base = { plan, ctx: await l.context(tree), cache: new BaseCache(join(l.dir, 'state')), agentName: 'lab-a' };
  const warmUps: string[] = [];
  let early: BaseOutcomes = new Map();
  const ctx = {
    ...(await l.context(tree)),
    afterWarmUp: async (warm: WarmOutcome) => {
      warmUps.push(warm.state);
      early = await baseRunOnWarmUp(base, warm);
    },
  };
  const series = await runPipeline(plan, ctx);
  assert.deepEqual(verdicts(series.stages), { apply: 'PASS', build: 'PASS', boot: 'SKIP', 'workload:greets': 'FAIL' });
  const stages = await withBaseStatuses({ ...base, stages: series.stages }, early);
  assert.deepEqual(warmUps, ['built'], 'the series pipeline warmed the build directory once, building the base');
  assert.deepEqual(await build.compiles(), ['tool', 'hello', 'hello'], 'the base once, then the series on top: nothing built for the base run');
  const greets = stages.find((s) => s.name === 'workload:greets')!;
  assert.equal(greets.baseStatus, 'PASS', 'the base run ran the base\'s program, before the series touched it');
  assert.equal(greets.baseCached, false, 'the outcome is this job\'s own run, not the cache\'s');
  assert.equal(existsSync(join(ctx.buildDir, 'series-only')), true, 'the series was built after the base run');
});
