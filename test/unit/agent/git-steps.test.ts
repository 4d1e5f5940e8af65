// Which git steps each use of the private clone runs: nothing that has nothing to do, and the
// indices the caller reads the outcome by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, checkoutPlan, isFullCommitId, resetSteps, updateSteps } from '../../../agent/pipeline/git-steps.js';

const SOURCE = '/srv/src/ringbuf';
const SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
const SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const PRESENT = { present: true, amInProgress: false };
const commands = (steps: ReadonlyArray<{ args: readonly string[]; kind: string }>) => steps.map((step) => `${step.kind}: ${step.args.join(' ')}`);

test('a full commit id is one of sha-1 or sha-256 length in lower-case hex; names and short ids are not', () => {
  for (const id of [SHA1, SHA256]) assert.equal(isFullCommitId(id), true, id);
  for (const name of ['v6.8', 'master', 'a94a8fe', SHA1.toUpperCase(), `${SHA1}^`, `${SHA1}0`, '', `-${SHA1.slice(1)}`]) assert.equal(isFullCommitId(name), false, name);
});

test('the clone is made on first use; a full commit id needs no fetch (the objects are borrowed), a name does', () => {
  assert.deepEqual(commands(updateSteps(SOURCE, { present: false, amInProgress: false }, SHA1)), [`required: clone --quiet --shared --no-checkout ${SOURCE} .`]);
  assert.deepEqual(updateSteps(SOURCE, PRESENT, SHA1), []);
  assert.deepEqual(commands(updateSteps(SOURCE, PRESENT, 'v6.8')), ['required: fetch --quiet origin +refs/heads/*:refs/remotes/origin/* +refs/tags/*:refs/tags/*']);
});

test('checkout: rev-parse, checkout and clean after the update; git am --abort only when an am was left stopped', () => {
  const plain = checkoutPlan(SOURCE, PRESENT, SHA1);
  assert.deepEqual(commands(plain.steps), [
    `required: rev-parse --verify --quiet ${SHA1}^{commit}`,
    `required: checkout --quiet --force --detach ${SHA1}^{commit}`,
    'required: clean -fdxq',
  ]);
  assert.deepEqual([plain.revParse, plain.checkoutSteps], [0, 3]);

  const crashed = checkoutPlan(SOURCE, { present: true, amInProgress: true }, 'v6.8');
  assert.deepEqual(commands(crashed.steps), [
    'required: fetch --quiet origin +refs/heads/*:refs/remotes/origin/* +refs/tags/*:refs/tags/*',
    'required: rev-parse --verify --quiet v6.8^{commit}',
    'optional: am --abort',
    'required: checkout --quiet --force --detach v6.8^{commit}',
    'required: clean -fdxq',
  ]);
  assert.deepEqual([crashed.revParse, crashed.checkoutSteps], [1, 5]);
});

test('apply: the checkout steps, one git am per patch in order, and git am --abort only after a failure', () => {
  const plan = applyPlan(SOURCE, { present: false, amInProgress: false }, SHA1, ['/w/0001-a.patch', '/w/0002-b.patch']);
  assert.deepEqual([plan.revParse, plan.checkoutSteps], [1, 4]);
  assert.deepEqual(commands(plan.steps.slice(plan.checkoutSteps)), [
    'required: am --quiet --3way --keep-cr /w/0001-a.patch',
    'required: am --quiet --3way --keep-cr /w/0002-b.patch',
    'on-failure: am --abort',
  ]);
});

test('reset: every step optional (each runs whatever the one before did), the objects of the series pruned last', () => {
  assert.deepEqual(commands(resetSteps({ present: true, amInProgress: true }, SHA1)), [
    'optional: am --abort',
    `optional: checkout --quiet --force --detach ${SHA1}`,
    'optional: clean -fdxq',
    'optional: reflog expire --expire=now --all',
    'optional: gc --quiet --prune=now',
  ]);
  assert.deepEqual(commands(resetSteps(PRESENT, SHA1))[0], `optional: checkout --quiet --force --detach ${SHA1}`);
});
