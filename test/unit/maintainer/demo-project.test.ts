import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Parser, type FinalResults } from 'tap-parser';
import {
  DEMO_BUILD_COMMAND,
  DEMO_FAILING_CASE,
  DEMO_FAILING_WORKLOADS,
  DEMO_SERIES_DIR,
  DEMO_WORKLOADS,
  createDemoRepository,
  readSeriesBase,
  type DemoWorkload,
} from '../../../maintainer/demo/project.js';
import { readSeries } from '../../../maintainer/series.js';

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_COMMITTER_NAME: 'Demo Agent',
  GIT_COMMITTER_EMAIL: 'agent@example.org',
};

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-demo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a stage command the way an agent does: bash -c in the tree, never throwing. */
function stage(dir: string, command: string) {
  return execa('bash', ['-c', command], { cwd: dir, reject: false, stdin: 'ignore' });
}

function parseTap(text: string): Promise<FinalResults> {
  return new Promise((resolve) => {
    const parser = new Parser({ passes: true }, resolve);
    parser.end(text);
  });
}

function workload(list: readonly DemoWorkload[], name: string): DemoWorkload {
  const found = list.find((entry) => entry.name === name);
  assert.ok(found, `workload ${name} is defined`);
  return found;
}

/** The series' patch files, in order, as `git am` takes them. */
async function seriesFiles(): Promise<string[]> {
  return (await readdir(DEMO_SERIES_DIR)).filter((name) => name.endsWith('.patch')).sort().map((name) => join(DEMO_SERIES_DIR, name));
}

test('the demo repository is reproducible and its base is the one the series names', async (t) => {
  const root = await scratch(t);
  const first = await createDemoRepository(join(root, 'a'));
  const second = await createDemoRepository(join(root, 'b'));
  assert.match(first.base, /^[0-9a-f]{40}$/);
  assert.equal(second.base, first.base);
  assert.equal(await readSeriesBase(DEMO_SERIES_DIR), first.base);
});

test('the demo repository refuses a directory that is not empty', async (t) => {
  const root = await scratch(t);
  await writeFile(join(root, 'keep.txt'), 'mine\n');
  await assert.rejects(createDemoRepository(root), { code: 'DEMO_DEST_NOT_EMPTY' });
  assert.deepEqual(await readdir(root), ['keep.txt']);
});

test('the series is two signed-off format-patch messages that git am applies to the base', async (t) => {
  const { dir } = await createDemoRepository(join(await scratch(t), 'repo'));
  const patches = await readSeries(DEMO_SERIES_DIR);
  assert.equal(patches.length, 2);
  for (const patch of patches) assert.match(Buffer.from(patch.content).toString('utf8'), /^Signed-off-by: .+ <.+@.+>$/m);

  const am = await execa('git', ['am', '--quiet', ...(await seriesFiles())], { cwd: dir, env: GIT_ENV, reject: false });
  assert.equal(am.exitCode, 0, am.stderr);
  const log = await execa('git', ['log', '--format=%s'], { cwd: dir, env: GIT_ENV });
  assert.deepEqual(log.stdout.split('\n'), [
    'ringbuf: test that ringbuf_read_line() stays within its buffer',
    'ringbuf: fix off-by-one overflow in ringbuf_read_line()',
    'ringbuf: import version 1.0',
  ]);
});

test('the patched tree builds and passes both workloads: TAP and KTAP', async (t) => {
  const { dir } = await createDemoRepository(join(await scratch(t), 'repo'));
  await execa('git', ['am', '--quiet', ...(await seriesFiles())], { cwd: dir, env: GIT_ENV });
  const build = await stage(dir, DEMO_BUILD_COMMAND);
  assert.equal(build.exitCode, 0, build.stderr);

  const unit = await stage(dir, workload(DEMO_WORKLOADS, 'unit').command);
  assert.equal(unit.exitCode, 0, unit.stdout);
  const tap = await parseTap(unit.stdout);
  assert.equal(tap.ok, true);
  assert.equal(tap.count, 7);
  assert.ok(tap.passes?.some((result) => result.name === 'read_line_stays_in_bounds'), 'the regression case from patch 2 ran');

  const stress = await stage(dir, workload(DEMO_WORKLOADS, 'stress').command);
  assert.equal(stress.exitCode, 0, stress.stdout);
  assert.match(stress.stdout, /^KTAP version 1\n1\.\.1\n/);
  assert.match(stress.stdout, /^ok 1 ringbuf_stress$/m);
  assert.doesNotMatch(stress.stdout, /not ok/);
});

test('the failing agent configuration fails exactly one TAP case and nothing else', async (t) => {
  const { dir } = await createDemoRepository(join(await scratch(t), 'repo'));
  await execa('git', ['am', '--quiet', ...(await seriesFiles())], { cwd: dir, env: GIT_ENV });
  await stage(dir, DEMO_BUILD_COMMAND);

  const unit = await stage(dir, workload(DEMO_FAILING_WORKLOADS, 'unit').command);
  assert.notEqual(unit.exitCode, 0);
  const tap = await parseTap(unit.stdout);
  assert.equal(tap.count, 7);
  assert.equal(tap.fail, 1);
  assert.deepEqual(tap.failures.map((failure) => failure.name), [DEMO_FAILING_CASE]);

  const stress = await stage(dir, workload(DEMO_FAILING_WORKLOADS, 'stress').command);
  assert.equal(stress.exitCode, 0, stress.stdout);
});

test('without the fix, the regression test of patch 2 catches the overflow', async (t) => {
  const { dir } = await createDemoRepository(join(await scratch(t), 'repo'));
  const [, testPatch] = await seriesFiles();
  assert.ok(testPatch);
  await execa('git', ['am', '--quiet', testPatch], { cwd: dir, env: GIT_ENV });
  await stage(dir, DEMO_BUILD_COMMAND);

  const unit = await stage(dir, workload(DEMO_WORKLOADS, 'unit').command);
  assert.notEqual(unit.exitCode, 0);
  const tap = await parseTap(unit.stdout);
  assert.deepEqual(tap.failures.map((failure) => failure.name), ['read_line_stays_in_bounds']);
});
