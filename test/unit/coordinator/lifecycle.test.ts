import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_JOB_POLICY, dueEvent, transition, type JobPolicy, type JobSnapshot } from '../../../coordinator/jobs/lifecycle.js';

const policy: JobPolicy = { leaseMs: 100, errorRetries: 2, queueTimeoutMs: 1_000, lostAfterMs: 500 };
const queued: JobSnapshot = { state: 'queued', attempt: 1, queuedAt: 0, offeredAt: null, startedAt: null, leaseUntil: null, lapsedAt: null, finishedAt: null, status: null, reason: null };

const run = (job: JobSnapshot, now = 10) => transition(transition(job, { kind: 'offer' }, { now: now, policy }), { kind: 'accept', attempt: job.attempt }, { now: now, policy });

test('queued → offered → running → done with the result status', () => {
  const offered = transition(queued, { kind: 'offer' }, { now: 5, policy });
  assert.equal(offered.state, 'offered');
  const running = transition(offered, { kind: 'accept', attempt: 1 }, { now: 10, policy });
  assert.equal(running.state, 'running');
  assert.equal(running.leaseUntil, 110);
  const done = transition(running, { kind: 'result', attempt: 1, status: 'PASS' }, { now: 50, policy });
  assert.deepEqual([done.state, done.status, done.finishedAt, done.leaseUntil], ['done', 'PASS', 50, null]);
});

test('ERROR is retried with the next attempt until the retries are spent; FAIL never is', () => {
  let job = run(queued);
  for (const attempt of [1, 2]) {
    job = transition(job, { kind: 'result', attempt, status: 'ERROR' }, { now: 20, policy });
    assert.deepEqual([job.state, job.attempt, job.queuedAt], ['queued', attempt + 1, 20]);
    job = run(job);
  }
  const last = transition(job, { kind: 'result', attempt: 3, status: 'ERROR' }, { now: 30, policy });
  assert.deepEqual([last.state, last.status, last.attempt], ['done', 'ERROR', 3]);
  const failed = transition(run(queued), { kind: 'result', attempt: 1, status: 'FAIL' }, { now: 30, policy });
  assert.deepEqual([failed.state, failed.status, failed.attempt], ['done', 'FAIL', 1]);
});

test('a result for another attempt, after cancel, or twice is refused', () => {
  const running = run(queued);
  assert.throws(() => transition(running, { kind: 'result', attempt: 2, status: 'PASS' }, { now: 20, policy }), { code: 'JOB_TRANSITION_INVALID' });
  const cancelled = transition(running, { kind: 'cancel', reason: 'embargo withdrawn' }, { now: 20, policy });
  assert.equal(cancelled.state, 'cancelled');
  assert.throws(() => transition(cancelled, { kind: 'result', attempt: 1, status: 'PASS' }, { now: 30, policy }), /cancelled/);
  const done = transition(running, { kind: 'result', attempt: 1, status: 'PASS' }, { now: 20, policy });
  assert.throws(() => transition(done, { kind: 'result', attempt: 1, status: 'PASS' }, { now: 30, policy }), /already has a result/);
  assert.throws(() => transition(done, { kind: 'cancel', reason: 'x' }, { now: 30, policy }), /already ended/);
});

test('time: a lapsed lease requeues the same attempt, then the job is lost past the limit', () => {
  const running = run(queued);
  assert.equal(dueEvent(running, { now: 109, policy }), null);
  assert.deepEqual(dueEvent(running, { now: 110, policy }), { kind: 'lease-lapsed' });
  const lapsed = transition(running, { kind: 'lease-lapsed' }, { now: 110, policy });
  assert.deepEqual([lapsed.state, lapsed.attempt, lapsed.lapsedAt], ['queued', 1, 110]);
  assert.equal(dueEvent(lapsed, { now: 609, policy }), null, 'the queue time-out does not apply to a job that ran');
  assert.deepEqual(dueEvent(lapsed, { now: 610, policy }), { kind: 'give-up' });
  const lost = transition(lapsed, { kind: 'give-up' }, { now: 610, policy });
  assert.deepEqual([lost.state, lost.status], ['lost', 'MISS']);
  const back = transition(transition(lapsed, { kind: 'offer' }, { now: 200, policy }), { kind: 'accept', attempt: 1 }, { now: 200, policy });
  assert.deepEqual([back.state, back.lapsedAt], ['running', null], 'a returning agent resumes the job');
});

test('time: a job not picked up within the queue time-out is MISS, not left waiting', () => {
  assert.equal(dueEvent(queued, { now: 999, policy }), null);
  assert.deepEqual(dueEvent(queued, { now: 1_000, policy }), { kind: 'queue-timeout' });
  const missed = transition(queued, { kind: 'queue-timeout' }, { now: 1_000, policy });
  assert.deepEqual([missed.state, missed.status], ['miss', 'MISS']);
  assert.equal(dueEvent(missed, { now: 10_000, policy }), null);
  const late = transition(missed, { kind: 'result', attempt: 1, status: 'PASS' }, { now: 2_000, policy });
  assert.equal(late.status, 'PASS', 'a late real result beats the guess');
});

test('heartbeats renew only running leases; declines end the job as MISS', () => {
  const running = run(queued);
  assert.equal(transition(running, { kind: 'heartbeat' }, { now: 90, policy }).leaseUntil, 190);
  assert.throws(() => transition(queued, { kind: 'heartbeat' }, { now: 90, policy }), { code: 'JOB_TRANSITION_INVALID' });
  const declined = transition(transition(queued, { kind: 'offer' }, { now: 1, policy }), { kind: 'decline', attempt: 1, reason: 'tree missing' }, { now: 2, policy });
  assert.deepEqual([declined.state, declined.status, declined.reason], ['miss', 'MISS', 'declined: tree missing']);
  assert.ok(DEFAULT_JOB_POLICY.errorRetries >= 1 && DEFAULT_JOB_POLICY.leaseMs > 0);
});
