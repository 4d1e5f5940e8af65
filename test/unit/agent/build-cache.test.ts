// reuse_build_dir: the build directory is built at the base before the series is applied, later
// jobs at that base build incrementally, and what a job built is deleted when it ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BASE_MARKER, scrubBuildDir, warmBuildDir } from '../../../agent/pipeline/build-cache.js';
import { runPipeline } from '../../../agent/pipeline/run-job.js';
import { lab, verdicts } from '../../support/pipeline-lab.js';

/** A tool made once per build directory (as kbuild's host tools are) and the program itself. */
const BUILD = {
  command: '[ -e "$DARKROOM_BUILD_DIR/tool" ] || echo tool > "$DARKROOM_BUILD_DIR/tool"; mkdir -p "$DARKROOM_BUILD_DIR/obj" && cc -O0 -o "$DARKROOM_BUILD_DIR/obj/hello" hello.c && echo "$DARKROOM_CONFIG_DIR" > "$DARKROOM_BUILD_DIR/obj/config-dir"',
  timeoutMs: 60_000,
};
const SERIES = [{ file: 'hello.c', from: 'greeting hello', to: 'greeting embargoed', subject: 'hello: new greeting' }];

test('a reused build directory is built at the base first, and keeps only the base output after a job', async (t) => {
  const l = await lab(t);
  const patches = await l.series(SERIES);
  const first = await l.context({ build: BUILD, reuseBuildDir: true, workloads: [] });
  const outcome = await runPipeline({ jobId: 'j1', base: l.base, patches, workloads: [] }, first);
  assert.deepEqual(verdicts(outcome.stages), { apply: 'PASS', build: 'PASS', boot: 'SKIP' });
  assert.equal((await readFile(join(first.buildDir, BASE_MARKER), 'utf8')).trim(), l.base);
  assert.ok((await readdir(first.workspace.logsDir)).includes('warm-build.log'), 'the base build has its own log');
  assert.match(await readFile(join(first.buildDir, 'obj', 'hello'), 'latin1'), /greeting embargoed/, 'the job built the series');
  assert.equal((await readFile(join(first.buildDir, 'obj', 'config-dir'), 'utf8')).trim(), l.repo, 'DARKROOM_CONFIG_DIR is the config\'s folder');

  const { removed } = await scrubBuildDir(first.buildDir);
  assert.equal(removed, 2, 'the program and the file the job rewrote');
  assert.equal(existsSync(join(first.buildDir, 'obj')), false, 'a directory the job emptied goes too');
  assert.equal(await readFile(join(first.buildDir, 'tool'), 'utf8'), 'tool\n', 'the base build\'s own output stays');
  assert.ok(existsSync(join(first.buildDir, BASE_MARKER)));

  await first.gitTree.reset(l.base);
  const second = await l.context({ build: BUILD, reuseBuildDir: true, workloads: [] });
  assert.equal((await warmBuildDir(l.base, second)).state, 'warm');
  assert.equal(existsSync(join(second.workspace.logsDir, 'warm-build.log')), false, 'no second base build at the same base');
});

test('a base that does not build leaves no reused directory: the job builds from scratch and all of it is wiped', async (t) => {
  const l = await lab(t);
  const failing = { command: `test "$(git rev-parse HEAD)" != ${l.base} && mkdir -p "$DARKROOM_BUILD_DIR" && cc -o "$DARKROOM_BUILD_DIR/hello" hello.c`, timeoutMs: 60_000 };
  const ctx = await l.context({ build: failing, reuseBuildDir: true, workloads: [] });
  const warm = await warmBuildDir(l.base, ctx);
  assert.equal(warm.state, 'cold');
  assert.match(warm.reason ?? '', /the base did not build: exit status 1/);
  assert.equal(existsSync(ctx.buildDir), false);
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: await l.series(SERIES), workloads: [] }, ctx);
  assert.equal(verdicts(outcome.stages).build, 'PASS');
  await scrubBuildDir(ctx.buildDir);
  assert.equal(existsSync(ctx.buildDir), false, 'without a base build nothing is kept');
});
