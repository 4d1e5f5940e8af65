import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { darkroom } from '../../../proto/darkroom.js';
import { WatchModel, formatDuration, formatEvent } from '../../../maintainer/render/watch-model.js';
import { WatchView } from '../../../maintainer/render/watch.js';

const { Status } = darkroom.v1;
const STAGES = ['apply', 'build', 'boot', 'workload:unit'];

/** A job whose first `finished` stages passed (the last with `last`), the next one running. */
function job(jobId: string, agent: string, hardwareClass: string, state: string, finished: number, options: { last?: darkroom.v1.Status; attempt?: number } = {}): darkroom.v1.JobView.$Properties {
  const stages = STAGES.map((name, index) => ({
    name,
    status: index < finished ? (index === finished - 1 && options.last ? options.last : Status.PASS) : Status.STATUS_UNSPECIFIED,
    running: state === 'running' && index === finished,
  }));
  const done = state === 'done';
  return {
    jobId, agent, hardwareClass, tree: 'ringbuf', state, attempt: options.attempt ?? 1,
    stage: STAGES[Math.min(finished, STAGES.length - 1)],
    status: done ? (options.last ?? Status.PASS) : Status.STATUS_UNSPECIFIED,
    stages,
  };
}

function snapshot(jobs: darkroom.v1.JobView.$Properties[], complete = false): darkroom.v1.BundleStatus.$Properties {
  return { bundleId: '5b0e', embargo: 'ringbuf-2025-001', jobs, complete };
}

/** A bundle's life, as `watch` polls it: [time in ms, snapshot]. */
const TIMELINE: Array<[number, darkroom.v1.BundleStatus.$Properties]> = [
  [0, snapshot([job('j1', 'agent-a', 'x86_64/AMD/EPYC', 'running', 0), job('j2', 'agent-c', 'aarch64/Ampere/Altra', 'queued', 0)])],
  [2_000, snapshot([job('j1', 'agent-a', 'x86_64/AMD/EPYC', 'running', 1), job('j2', 'agent-c', 'aarch64/Ampere/Altra', 'queued', 0)])],
  [43_000, snapshot([job('j1', 'agent-a', 'x86_64/AMD/EPYC', 'running', 2), job('j2', 'agent-c', 'aarch64/Ampere/Altra', 'running', 0)])],
  [43_500, snapshot([job('j1', 'agent-a', 'x86_64/AMD/EPYC', 'running', 2), job('j2', 'agent-c', 'aarch64/Ampere/Altra', 'running', 0)])],
  [60_000, snapshot([job('j1', 'agent-a', 'x86_64/AMD/EPYC', 'done', 4), job('j2', 'agent-c', 'aarch64/Ampere/Altra', 'done', 4, { last: Status.FAIL })], true)],
];

function play(model: WatchModel): string[] {
  return TIMELINE.flatMap(([at, status]) => model.applyStatus(status, at).map(formatEvent));
}

test('each change between snapshots becomes exactly one line, with measured stage durations', () => {
  assert.deepEqual(play(new WatchModel()), [
    '[agent-a x86_64/AMD/EPYC] running',
    '[agent-a x86_64/AMD/EPYC] apply: started',
    '[agent-c aarch64/Ampere/Altra] queued',
    '[agent-a x86_64/AMD/EPYC] apply: PASS (2 s)',
    '[agent-a x86_64/AMD/EPYC] build: started',
    '[agent-a x86_64/AMD/EPYC] build: PASS (41 s)',
    '[agent-a x86_64/AMD/EPYC] boot: started',
    '[agent-c aarch64/Ampere/Altra] running',
    '[agent-c aarch64/Ampere/Altra] apply: started',
    '[agent-a x86_64/AMD/EPYC] boot: PASS (17 s)',
    '[agent-a x86_64/AMD/EPYC] workload:unit: PASS',
    '[agent-a x86_64/AMD/EPYC] finished: PASS',
    '[agent-c aarch64/Ampere/Altra] apply: PASS (17 s)',
    '[agent-c aarch64/Ampere/Altra] build: PASS',
    '[agent-c aarch64/Ampere/Altra] boot: PASS',
    '[agent-c aarch64/Ampere/Altra] workload:unit: FAIL',
    '[agent-c aarch64/Ampere/Altra] finished: FAIL',
    'Bundle 5b0e complete',
  ]);
});

test('a snapshot that changes nothing yields no event', () => {
  const model = new WatchModel();
  const [at, status] = TIMELINE[2]!;
  model.applyStatus(status, at);
  assert.deepEqual(model.applyStatus(status, at + 5_000), []);
  assert.equal(model.complete, false);
});

test('progress counts ended stages of each job, in the order jobs appeared', () => {
  const model = new WatchModel();
  for (const [at, status] of TIMELINE.slice(0, 3)) model.applyStatus(status, at);
  assert.deepEqual(model.progress().map(({ job: { agent }, state, stage, done, total, status }) => ({ agent, state, stage, done, total, status })), [
    { agent: 'agent-a', state: 'running', stage: 'boot', done: 2, total: 4, status: null },
    { agent: 'agent-c', state: 'running', stage: 'apply', done: 0, total: 4, status: null },
  ]);
});

test('a single job update and a retried attempt are reported; a retry runs its stages afresh', () => {
  const model = new WatchModel();
  model.applyJob(job('j1', 'agent-b', 'x86_64/Intel/Xeon', 'running', 1), 0);
  const lost = model.applyJob(job('j1', 'agent-b', 'x86_64/Intel/Xeon', 'lost', 1), 1_000).map(formatEvent);
  assert.deepEqual(lost, ['[agent-b x86_64/Intel/Xeon] finished: lost']);
  const retried = model.applyJob(job('j1', 'agent-b', 'x86_64/Intel/Xeon', 'running', 0, { attempt: 2 }), 2_000).map(formatEvent);
  assert.deepEqual(retried, ['[agent-b x86_64/Intel/Xeon] running (attempt 2)', '[agent-b x86_64/Intel/Xeon] apply: started']);
});

test('a job not yet given to an agent is named by its id; durations read naturally', () => {
  const events = new WatchModel().applyJob({ jobId: 'j9', state: 'queued' }, 0);
  assert.deepEqual(events.map(formatEvent), ['[job j9] queued']);
  assert.equal(formatDuration(350), '350 ms');
  assert.equal(formatDuration(41_400), '41 s');
  assert.equal(formatDuration(125_000), '2 min 5 s');
});

test('off a terminal the view prints the plain lines, and only when something changed', () => {
  const lines: string[] = [];
  let clock = 0;
  const view = new WatchView({ tty: false, stream: new PassThrough(), writeLine: (line) => lines.push(line), now: () => clock });
  for (const [at, status] of TIMELINE) {
    clock = at;
    view.update(status);
    view.update(status);
  }
  view.stop();
  assert.deepEqual(lines, play(new WatchModel()));
  assert.equal(view.complete, true);
});

test('on a terminal the view draws one bar per job and logs the failures above them', () => {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  let clock = 0;
  const lines: string[] = [];
  const view = new WatchView({ tty: true, stream, writeLine: (line) => lines.push(line), now: () => clock });
  for (const [at, status] of TIMELINE) {
    clock = at;
    view.update(status);
  }
  view.stop();
  const drawn = chunks.join('');
  assert.deepEqual(lines, []);
  assert.match(drawn, /\[agent-a x86_64\/AMD\/EPYC\] +\[[^\]]*\] 4\/4 PASS/);
  assert.match(drawn, /\[agent-c aarch64\/Ampere\/Altra\] +\[[^\]]*\] 4\/4 FAIL/);
  assert.match(drawn, /\[agent-c aarch64\/Ampere\/Altra\] workload:unit: FAIL\n/);
  assert.match(drawn, /Bundle 5b0e complete\n/);
});
