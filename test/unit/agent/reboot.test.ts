import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resumePipeline, runPipeline } from '../../../agent/pipeline/run-job.js';
import type { BootSettings } from '../../../agent/pipeline/settings.js';
import { stage, type StageInit } from '../../../agent/pipeline/stages.js';
import { lab, stageOf, verdicts } from '../../support/pipeline-lab.js';

const restart = (expected: string, command = 'true'): BootSettings => ({
  method: 'reboot', command, expectKernelCommand: 'echo "booting check"; echo 6.1.0-darkroom+', expected, timeoutMs: 400,
});

test('reboot: the job is persisted before the restart command, and a machine that stays up is an ERROR', async (t) => {
  const l = await lab(t);
  const ctx = await l.context({ boot: restart('6.1.0-darkroom+') });
  let persisted: StageInit[] | undefined;
  ctx.beforeReboot = async (completed) => {
    persisted = completed;
  };
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: [], workloads: [] }, ctx);
  assert.deepEqual(persisted?.map((s) => s.name), ['apply', 'build']);
  assert.deepEqual(verdicts(outcome.stages), { apply: 'PASS', build: 'PASS', boot: 'ERROR', 'workload:unit': 'SKIP' });
  assert.match(stageOf(outcome.stages, 'boot').reason!, /did not restart within/);
});

test('reboot without a way to persist the job is refused as an ERROR', async (t) => {
  const l = await lab(t);
  const outcome = await runPipeline({ jobId: 'j', base: l.base, patches: [], workloads: [] }, await l.context({ boot: restart('x') }));
  assert.match(stageOf(outcome.stages, 'boot').reason!, /needs a job that can be resumed/);
});

test('resume after a restart on the expected kernel: boot PASS, then the workloads run', async (t) => {
  const l = await lab(t);
  const first = await l.context({ boot: restart('6.1.0-darkroom+') });
  let persisted: StageInit[] = [];
  first.beforeReboot = async (completed) => {
    persisted = completed;
  };
  await runPipeline({ jobId: 'j', base: l.base, patches: [], workloads: [] }, first);
  const after = { ...first, progress: () => undefined };
  const outcome = await resumePipeline({ jobId: 'j', base: l.base, patches: [], workloads: [] }, after, persisted);
  assert.deepEqual(verdicts(outcome.stages), { apply: 'PASS', build: 'PASS', boot: 'PASS', 'workload:unit': 'PASS' });
  assert.match(await readFile(join(first.workspace.logsDir, 'boot.log'), 'utf8'), /running kernel: 6\.1\.0-darkroom\+/);
});

test('resume on another kernel than the one built: boot FAIL, workloads skipped', async (t) => {
  const l = await lab(t);
  const ctx = await l.context({ boot: restart('6.1.0-patched') });
  const completed: StageInit[] = [stage('apply', 'PASS', 10), stage('build', 'PASS', 20)];
  const outcome = await resumePipeline({ jobId: 'j', base: l.base, patches: [], workloads: [] }, ctx, completed);
  assert.equal(verdicts(outcome.stages).boot, 'FAIL');
  assert.equal(verdicts(outcome.stages)['workload:unit'], 'SKIP');
  assert.match(stageOf(outcome.stages, 'boot').reason!, /came back on another kernel/);
  assert.equal(outcome.status, 'FAIL');
});
