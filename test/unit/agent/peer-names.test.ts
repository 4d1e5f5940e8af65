// Names from the coordinator that reach a path or a terminal (THREAT-MODEL 24, hostile input): a
// ResultAck's job id, an offer's job id, a stage name in a progress message, shown text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { darkroom } from '../../../proto/darkroom.js';
import { Outbox, OutboxError } from '../../../agent/outbox.js';
import { formatNotification, noteProgress, type StageNotes } from '../../../maintainer/watch.js';
import { jobIdProblem, printable, stageNameProblem, STAGE_NAME_MAX } from '../../../shared/peer-names.js';
import { jobLab } from '../../support/job-lab.js';

test('job ids that could leave a directory are refused; ordinary ones pass', () => {
  for (const id of ['job-1', '0f1e2d3c', 'a.b_c-d', 'x'.repeat(128)]) assert.equal(jobIdProblem(id), null, id);
  for (const id of ['../outbox', '..', '.', '.hidden', 'a/b', 'a\\b', '', 'x'.repeat(129), 'a\0b', 'é', undefined, 7]) assert.match(jobIdProblem(id) ?? '', /is not a safe name/, String(id));
});

test('a ResultAck naming ../ touches no file outside the outbox, and the real result stays', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-outbox-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const outbox = await Outbox.open(join(dir, 'state', 'outbox'));
  await writeFile(join(dir, 'state', 'identity.1.result'), 'the agent\'s key stand-in');
  await outbox.put({ jobId: 'job-1', attempt: 1, bytes: Buffer.from('result') });
  await assert.rejects(outbox.ack('../identity', 1), (error: unknown) => error instanceof OutboxError && error.code === 'UNSAFE_NAME');
  await assert.rejects(outbox.ack('job-1', -1), (error: unknown) => error instanceof OutboxError);
  await assert.rejects(outbox.put({ jobId: '../../escape', attempt: 1, bytes: Buffer.from('x') }), OutboxError);
  assert.deepEqual((await readdir(join(dir, 'state'))).sort(), ['identity.1.result', 'outbox']);
  assert.equal((await outbox.pending()).length, 1);
});

test('an offer whose job id is not a safe name is declined before any directory is made', async (t) => {
  const l = await jobLab(t);
  const offer = darkroom.v1.JobOffer.create({ ...(await l.offer('job-ok')), jobId: '../../escape' });
  const answer = l.runner().offer(offer, l.coordinator.asChannel());
  assert.equal(answer.accepted, false);
  assert.match(answer.accepted ? '' : answer.reason, /is not a safe name/);
  assert.deepEqual(await l.workspaces.leftovers(), []);
});

test('stage names are length- and character-checked before they are stored or shown', () => {
  for (const name of ['apply', 'build', 'boot', 'workload:kselftest-net', `workload:${'w'.repeat(64)}`]) assert.equal(stageNameProblem(name), null, name);
  for (const name of ['', 'build\u001b[2J', 'boot\nFAKE PASS', 'a b', 'x'.repeat(STAGE_NAME_MAX + 1), ':leading', undefined]) assert.notEqual(stageNameProblem(name), null, JSON.stringify(name));
  const notes: StageNotes = new Map();
  const progress = (stage: string) => ({ kind: darkroom.v1.NotificationKind.JOB_PROGRESS, jobId: 'j1', stage, stageEvent: darkroom.v1.StageEvent.STAGE_STARTED });
  noteProgress(notes, progress('build'));
  noteProgress(notes, progress('\u001b]0;owned\u0007build'));
  assert.deepEqual([...notes.get('j1')!.keys()], ['build'], 'a hostile stage name is not recorded');
  const line = formatNotification({ ...progress('build'), agent: 'lab\u001b[31m-1\nfake line', atMs: 0 });
  assert.equal(line.includes('\u001b') || line.includes('\n'), false, 'no escape sequence or line break reaches the terminal');
  assert.match(line, /agent=lab\?\[31m-1\?fake line/);
  assert.equal(printable('y'.repeat(500)).length, 201);
});
