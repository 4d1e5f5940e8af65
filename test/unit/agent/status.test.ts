import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { STATUS_PRECEDENCE, isStatus, outranks, rollUp, statusFromProto, statusToProto, type Status } from '../../../shared/status.js';

test('roll-up follows KCIDB precedence FAIL > ERROR > MISS > PASS > DONE > SKIP', () => {
  assert.deepEqual(STATUS_PRECEDENCE, ['FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP']);
  for (let i = 0; i < STATUS_PRECEDENCE.length; i++) {
    const higher: Status = STATUS_PRECEDENCE[i]!;
    for (const lower of STATUS_PRECEDENCE.slice(i + 1)) {
      assert.equal(rollUp([lower, higher, lower]), higher, `${higher} over ${lower}`);
      assert.ok(outranks(higher, lower));
      assert.ok(!outranks(lower, higher));
    }
  }
});

test('roll-up of concrete mixes', () => {
  assert.equal(rollUp(['PASS', 'PASS', 'SKIP']), 'PASS');
  assert.equal(rollUp(['PASS', 'ERROR']), 'ERROR');
  assert.equal(rollUp(['ERROR', 'FAIL', 'MISS']), 'FAIL');
  assert.equal(rollUp(['SKIP', 'DONE']), 'DONE');
  assert.equal(rollUp(new Set<Status>(['MISS', 'PASS'])), 'MISS');
});

test('an empty collection rolls up to SKIP, never PASS', () => {
  assert.equal(rollUp([]), 'SKIP');
});

test('statuses round-trip through the proto enum by name', () => {
  for (const status of STATUS_PRECEDENCE) {
    const wire = statusToProto(status);
    assert.equal(darkroom.v1.Status[wire], status);
    assert.equal(statusFromProto(wire), status);
  }
});

test('an unset or unknown wire status is refused', () => {
  assert.throws(() => statusFromProto(darkroom.v1.Status.STATUS_UNSPECIFIED), { code: 'STATUS_UNKNOWN' });
  assert.throws(() => statusFromProto(99), (error: Error & { code?: string }) => error.code === 'STATUS_UNKNOWN' && /99/.test(error.message));
});

test('isStatus accepts exactly the six words', () => {
  for (const status of STATUS_PRECEDENCE) assert.ok(isStatus(status));
  for (const other of ['pass', 'WARN', '', 1, undefined]) assert.ok(!isStatus(other));
});
