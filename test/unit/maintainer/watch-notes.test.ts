// Watch and logs helpers: progress notifications merged into snapshots, notification lines, stage filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { agentKeys, LogsError, matchesStage } from '../../../maintainer/logs.js';
import { formatNotification, mergeNotes, noteProgress, type StageNotes } from '../../../maintainer/watch.js';
import { fingerprint, generateIdentity } from '../../../shared/identity.js';
import { packWithin } from '../../../coordinator/server/maintainer-pack.js';

const { NotificationKind, StageEvent, Status } = darkroom.v1;

test('progress notifications fill in stages a status snapshot does not know yet', () => {
  const notes: StageNotes = new Map();
  noteProgress(notes, { kind: NotificationKind.JOB_PROGRESS, jobId: 'j1', stage: 'apply', stageEvent: StageEvent.STAGE_FINISHED, status: Status.PASS });
  noteProgress(notes, { kind: NotificationKind.JOB_PROGRESS, jobId: 'j1', stage: 'build', stageEvent: StageEvent.STAGE_STARTED });
  noteProgress(notes, { kind: NotificationKind.JOB_FINISHED, jobId: 'j1', stage: 'boot' });
  const merged = mergeNotes({ bundleId: 'b', jobs: [{ jobId: 'j1', state: 'running', stages: [{ name: 'build', running: true }] }, { jobId: 'j2', state: 'queued' }] }, notes);
  assert.deepEqual(merged.jobs![0]!.stages, [{ name: 'apply', running: false, status: Status.PASS }, { name: 'build', running: true }]);
  assert.deepEqual(merged.jobs![1], { jobId: 'j2', state: 'queued' });
});

test('a finished stage in the snapshot wins over a running note, and a finished note over a running snapshot', () => {
  const notes: StageNotes = new Map();
  noteProgress(notes, { kind: NotificationKind.JOB_PROGRESS, jobId: 'j1', stage: 'build', stageEvent: StageEvent.STAGE_STARTED });
  noteProgress(notes, { kind: NotificationKind.JOB_PROGRESS, jobId: 'j1', stage: 'boot', stageEvent: StageEvent.STAGE_FINISHED, status: Status.FAIL });
  const merged = mergeNotes({ jobs: [{ jobId: 'j1', stages: [{ name: 'build', status: Status.PASS }, { name: 'boot', running: true }] }] }, notes);
  const byName = new Map(merged.jobs![0]!.stages!.map((stage) => [stage.name, stage]));
  assert.equal(byName.get('build')!.status, Status.PASS);
  assert.equal(byName.get('boot')!.status, Status.FAIL);
});

test('a notification line carries its kind and metadata only', () => {
  const line = formatNotification({ kind: NotificationKind.JOB_FINISHED, embargo: 'cve-1', bundleId: 'ab12', agent: 'lab-a', hardwareClass: 'x86_64', status: Status.FAIL, atMs: Date.parse('2030-01-01T00:00:00Z') });
  assert.equal(line, '2030-01-01T00:00:00.000Z job finished embargo=cve-1 bundle=ab12 agent=lab-a class=x86_64 status=FAIL');
});

test('--stage matches log files named after their stage', () => {
  assert.ok(matchesStage('build.log', 'build'));
  assert.ok(matchesStage('workload_ltp.log', 'ltp'));
  assert.ok(matchesStage('workload_ltp.log', 'workload:ltp'));
  assert.ok(!matchesStage('boot.log', 'build'));
});

test('log trust: the coordinator\'s agent keys must match the pins', () => {
  const agent = generateIdentity();
  const keys = agentKeys([{ name: 'lab-a', signKey: agent.signKey, boxKey: agent.boxKey }], { 'lab-a': { fingerprint: fingerprint(agent), approvedBy: 'you' } });
  assert.deepEqual(keys.get('lab-a'), agent.signKey);
  assert.throws(() => agentKeys([{ name: 'lab-a', signKey: agent.signKey, boxKey: agent.boxKey }], { 'lab-a': { fingerprint: fingerprint(generateIdentity()), approvedBy: 'you' } }), (e: unknown) => e instanceof LogsError && e.code === 'AGENT_KEY_CHANGED');
});

test('log trust: an agent the maintainer never pinned gets no key, so its logs are not opened', () => {
  const [pinned, stranger] = [generateIdentity(), generateIdentity()];
  const listed = [{ name: 'lab-a', signKey: pinned.signKey, boxKey: pinned.boxKey }, { name: 'coordinator-own', signKey: stranger.signKey, boxKey: stranger.boxKey }, { name: 'constructor', signKey: stranger.signKey, boxKey: stranger.boxKey }];
  const keys = agentKeys(listed, { 'lab-a': { fingerprint: fingerprint(pinned), approvedBy: 'you' } });
  assert.deepEqual([...keys.keys()], ['lab-a']);
});

test('replies are cut to what fits one frame', () => {
  const packed = packWithin([10, 20, 30, 40], (n) => n, 100);
  assert.deepEqual(packed, { items: [10, 20], left: 2 });
});
