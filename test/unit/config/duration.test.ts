import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DURATION_MS, formatDuration, parseDuration } from '../../../agent/config/duration.js';

test('durations as people write them', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration(' 7d '), MAX_DURATION_MS);
});

test('anything else is not a duration', () => {
  for (const text of ['banana', '10', '', '0s', '1.5h', '-5m', '10 m', '8d', 'm10', '1h 30m']) assert.equal(parseDuration(text), undefined, text);
});

test('formatting gives the shortest spelling and round-trips', () => {
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(0), '0s');
  for (const ms of [1, 999, 61_000, 3_600_001, MAX_DURATION_MS]) assert.equal(parseDuration(formatDuration(ms)), ms);
});
