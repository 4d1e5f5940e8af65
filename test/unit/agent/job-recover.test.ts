import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../../proto/darkroom.js';
import { verifySignedResultBytes } from '../../../shared/result.js';
import { detailedStages, openResultDetails } from '../../../shared/result-details.js';
import { statusFromProto } from '../../../shared/status.js';
import { filesBelow, jobLab } from '../../support/job-lab.js';

const verdicts = (result: darkroom.v1.Result) => Object.fromEntries(result.stages.map((s) => [s.name, statusFromProto(s.status!)]));

/**
 * The restart command photographs the state directory (the job saved for the restart, the
 * workspace with the built tree) at the moment the machine would go down; restoring that picture
 * and starting a new runner is what the agent finds after a real reboot.
 */
const SNAPSHOT = 'S="$DARKROOM_SCRATCH/../../../.."; mkdir -p "$S/../snap" && cp -a "$S/jobs" "$S/../snap/jobs" && cp -a "$S/workspace" "$S/../snap/workspace"';

test('reboot: the job saved before the restart is resumed on the next start, boots the expected kernel, runs its workloads; stale workspaces are wiped', async (t) => {
  const l = await jobLab(t, { boot: { method: 'reboot', command: SNAPSHOT, expectKernelCommand: 'echo 6.1.0-darkroom+', expected: 'echo 6.1.0-darkroom+', timeoutMs: 400 } });
  const first = l.runner();
  first.offer(await l.offer('job-reboot'), l.coordinator.asChannel());
  await first.idle();
  const [stayedUp] = await l.outbox.pending();
  const signed = verifySignedResultBytes(stayedUp!.bytes, l.agent.signKey).result;
  const stages = detailedStages(signed, await openResultDetails(signed, l.maintainer));
  assert.match(stages.find((s) => s.name === 'boot')!.reason!, /did not restart within/, 'this run of the machine never went down (the reason is sealed to the maintainer)');
  await l.outbox.ack('job-reboot', 1);

  const state = l.config.stateDir;
  await rm(join(state, 'jobs'), { recursive: true, force: true });
  await rm(join(state, 'workspace'), { recursive: true, force: true });
  await cp(join(l.dir, 'snap', 'jobs'), join(state, 'jobs'), { recursive: true });
  await cp(join(l.dir, 'snap', 'workspace'), join(state, 'workspace'), { recursive: true });
  await mkdir(join(l.workspaces.jobsDir, 'stale-job', 'series'), { recursive: true });
  await writeFile(join(l.workspaces.jobsDir, 'stale-job', 'series', '0001-secret.patch'), 'plaintext left by a crash');

  const second = l.runner();
  await second.recover();
  assert.deepEqual(second.runningJobIds(), ['job-reboot']);
  assert.equal(existsSync(join(l.workspaces.jobsDir, 'stale-job')), false, 'a crash\'s leftover is wiped at start');
  await second.idle();
  const [entry] = await l.outbox.pending();
  const { result } = verifySignedResultBytes(entry!.bytes, l.agent.signKey);
  assert.deepEqual(verdicts(result), { apply: 'PASS', build: 'PASS', boot: 'PASS', 'workload:unit': 'PASS' });
  assert.equal(result.jobId, 'job-reboot');
  assert.deepEqual(await filesBelow(l.workspaces.jobsDir), []);
  assert.deepEqual(await filesBelow(join(state, 'jobs')), [], 'the saved job is gone once its result is durable');
});
