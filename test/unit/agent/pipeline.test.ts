import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { statusFromProto } from '../../../shared/status.js';
import { runPipeline } from '../../../agent/pipeline/run-job.js';
import type { WorkloadSettings } from '../../../agent/pipeline/settings.js';
import type { StageInit } from '../../../agent/pipeline/stages.js';
import type { Edit } from '../../support/c-project.js';
import { lab, stageOf, TAP_WORKLOAD, verdicts } from '../../support/pipeline-lab.js';

const cases = (s: StageInit) => Object.fromEntries((s.cases ?? []).map((c) => [c.name!, statusFromProto(c.status!)]));

const GOOD_SERIES: Edit[] = [
  { file: 'hello.c', from: 'int add(int a, int b) { return a + b; }', to: 'int add(int a, int b) { return a + b; }\n\nint twice(int a) { return add(a, a); }', subject: 'hello: add twice()' },
  { file: 'hello.c', from: '\treturn 0;', to: '\tprintf("twice %d\\n", twice(4));\n\treturn 0;', subject: 'hello: print twice(4)' },
];

test('a series that applies, builds and passes its TAP workload; every stage logged', async (t) => {
  const l = await lab(t);
  const ctx = await l.context({});
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: await l.series(GOOD_SERIES), workloads: [] }, ctx);
  assert.deepEqual(verdicts(outcome.stages), { apply: 'PASS', build: 'PASS', boot: 'SKIP', 'workload:unit': 'PASS' });
  assert.deepEqual(cases(stageOf(outcome.stages, 'workload:unit')), { sum: 'PASS', greeting: 'PASS' });
  assert.equal(outcome.status, 'PASS');
  assert.deepEqual((await readdir(ctx.workspace.logsDir)).sort(), ['apply.log', 'build.log', 'workload_unit.log']);
  assert.match(await readFile(join(ctx.workspace.logsDir, 'build.log'), 'utf8'), /cc -O0 -o hello hello\.c/);
  assert.match(await readFile(join(ctx.gitTree.dir, 'hello.c'), 'utf8'), /twice\(4\)/, 'the series is applied in the private checkout');
  assert.doesNotMatch(await readFile(join(l.repo, 'hello.c'), 'utf8'), /twice/, 'the tester\'s own tree is untouched');
  assert.deepEqual(ctx.events.slice(0, 2), ['apply started', 'apply finished PASS']);
});

test('a series that does not apply names the patch; later stages SKIP', async (t) => {
  const l = await lab(t);
  const patches = await l.series([
    { file: 'hello.c', from: 'greeting hello', to: 'greeting hi', subject: 'hello: shorter greeting' },
    { file: 'hello.c', from: 'greeting hi', to: 'greeting hey', subject: 'hello: friendlier greeting' },
  ]);
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: [patches[1]!], workloads: [] }, await l.context({}));
  assert.deepEqual(verdicts(outcome.stages), { apply: 'FAIL', build: 'SKIP', boot: 'SKIP', 'workload:unit': 'SKIP' });
  assert.match(stageOf(outcome.stages, 'apply').reason!, /patch 1 of 1 \(0002-hello-friendlier-greeting\.patch\) did not apply/);
  assert.equal(stageOf(outcome.stages, 'build').reason, 'apply did not pass');
});

test('a series that breaks the build: build FAIL with the compiler\'s error logged, workloads not run', async (t) => {
  const l = await lab(t);
  const patches = await l.series([{ file: 'hello.c', from: 'return a + b;', to: 'return a + b', subject: 'hello: drop a semicolon' }]);
  const ctx = await l.context({});
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches, workloads: [] }, ctx);
  assert.deepEqual(verdicts(outcome.stages), { apply: 'PASS', build: 'FAIL', boot: 'SKIP', 'workload:unit': 'SKIP' });
  assert.match(await readFile(join(ctx.workspace.logsDir, 'build.log'), 'utf8'), /error: expected .;. before/);
  assert.equal(existsSync(join(ctx.workspace.logsDir, 'workload_unit.log')), false);
});

test('a series that breaks one TAP case: workload FAIL, the other case PASS', async (t) => {
  const l = await lab(t);
  const patches = await l.series([{ file: 'hello.c', from: 'return a + b;', to: 'return a - b;', subject: 'hello: subtract' }]);
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches, workloads: [] }, await l.context({}));
  const workload = stageOf(outcome.stages, 'workload:unit');
  assert.equal(statusFromProto(workload.status!), 'FAIL');
  assert.deepEqual(cases(workload), { sum: 'FAIL', greeting: 'PASS' });
  assert.equal(outcome.status, 'FAIL');
});

test('a KTAP workload: nested cases under their suite, SKIP kept', async (t) => {
  const l = await lab(t);
  const ktap: WorkloadSettings = { name: 'kselftest', command: './ktap.sh', timeoutMs: 30_000, format: 'ktap', inGuest: false };
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: await l.series(GOOD_SERIES), workloads: ['kselftest'] }, await l.context({ workloads: [TAP_WORKLOAD, ktap] }));
  assert.deepEqual(Object.keys(verdicts(outcome.stages)), ['apply', 'build', 'boot', 'workload:kselftest'], 'only the requested workload runs');
  assert.deepEqual(cases(stageOf(outcome.stages, 'workload:kselftest')), { 'hello.hello_sum': 'PASS', 'hello.hello_rtc': 'SKIP' });
  assert.equal(outcome.status, 'PASS');
});

/** Processes whose command line holds `marker`, by the kernel's account (zombies excluded). */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (cmdline.includes(marker) && !/^\S+ \(.*\) [ZX] /.test(stat)) found.push(Number(name));
  }
  return found;
}

test('a workload that hangs and forks a hanging child is killed at its time-out: FAIL, nothing left running', async (t) => {
  const l = await lab(t);
  const marker = `600.${Date.now() % 1_000_000}${Math.floor(Math.random() * 1000)}`;
  const hang: WorkloadSettings = {
    name: 'hang', timeoutMs: 1_500, format: 'tap', inGuest: false,
    command: `echo "TAP version 13"; echo "1..1"; sleep ${marker} & setsid sleep ${marker} & sleep ${marker}`,
  };
  const started = processesWith(marker);
  assert.deepEqual(await started, []);
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: [], workloads: [] }, await l.context({ workloads: [hang] }));
  const stage = stageOf(outcome.stages, 'workload:hang');
  assert.equal(statusFromProto(stage.status!), 'FAIL');
  assert.match(stage.reason!, /timed out after \d+ s; its process tree was killed/);
  assert.deepEqual(await processesWith(marker), []);
});

test('infrastructure faults are ERROR, never FAIL: a missing tool, a tool make cannot run, a full disk, a build time-out', async (t) => {
  const l = await lab(t);
  const runs: Array<[string, string, number, RegExp]> = [
    ['no-such-build-tool-darkroom -j2', 'ERROR', 60_000, /not found or not executable/],
    ['make CC=no-such-cc-darkroom', 'ERROR', 60_000, /not found \(make: Error 127\)/],
    ['make && echo built > /dev/full', 'ERROR', 60_000, /out of disk space/],
    ['sleep 30', 'ERROR', 500, /timed out/],
  ];
  for (const [command, status, timeoutMs, reason] of runs) {
    const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: [], workloads: [] }, await l.context({ build: { command, timeoutMs } }));
    const build = stageOf(outcome.stages, 'build');
    assert.equal(statusFromProto(build.status!), status, command);
    assert.match(build.reason!, reason, command);
    assert.equal(outcome.status, 'ERROR', command);
    assert.equal(statusFromProto(stageOf(outcome.stages, 'workload:unit').status!), 'SKIP', command);
  }
});

test('a base the tester\'s tree lacks is an infrastructure ERROR of the apply stage', async (t) => {
  const l = await lab(t);
  const outcome = await runPipeline({ jobId: 'j', base: 'f'.repeat(40), patches: [], workloads: [] }, await l.context({}));
  assert.equal(statusFromProto(stageOf(outcome.stages, 'apply').status!), 'ERROR');
  assert.match(stageOf(outcome.stages, 'apply').reason!, /is not in the tree/);
});

test('boot by command: a hanging boot is the kernel\'s FAIL, and the workloads are skipped', async (t) => {
  const l = await lab(t);
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: [], workloads: [] }, await l.context({ boot: { method: 'command', command: 'echo booting; sleep 30', timeoutMs: 500 } }));
  assert.deepEqual(verdicts(outcome.stages), { apply: 'PASS', build: 'PASS', boot: 'FAIL', 'workload:unit': 'SKIP' });
});
