import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TurnMemo } from '../../../coordinator/server/turn-memo.js';

test('a value is read once per key in a turn and again in the next turn', async () => {
  const memo = new TurnMemo<string, number>();
  let reads = 0;
  let stored = 1;
  const read = () => {
    reads++;
    return stored;
  };
  assert.equal(memo.get('a', read), 1);
  stored = 2;
  assert.equal(memo.get('a', read), 1, 'the same turn sees the first read');
  assert.equal(memo.get('b', read), 2, 'another key is read on its own');
  assert.equal(reads, 2);
  await nextTurn();
  assert.equal(memo.get('a', read), 2, 'the next turn reads again');
  assert.equal(reads, 3);
});
