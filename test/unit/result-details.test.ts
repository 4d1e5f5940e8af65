// A result's two halves: the signed stages hold counts and no case name or reason; the details
// sealed to the bundle's log readers hold them, open only for those readers, only as the result's
// own, and put back exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../proto/darkroom.js';
import { BundleError } from '../../shared/bundle/index.js';
import { generateIdentity } from '../../shared/identity.js';
import { signResult } from '../../shared/result.js';
import { DetailsError, countCases, detailedStages, openResultDetails, sealResultDetails, splitStages } from '../../shared/result-details.js';
import { statusToProto } from '../../shared/status.js';

const P = statusToProto;
const STAGES: darkroom.v1.StageResult.$Properties[] = [
  { name: 'apply', status: P('PASS'), durationMs: 12 },
  { name: 'build', status: P('PASS'), durationMs: 900 },
  {
    name: 'workload:unit', status: P('FAIL'), durationMs: 40, baseStatus: 'PASS', baseCached: true, reason: 'exit status 1 in tests/zq7x_vortex.c',
    cases: [
      { name: 'zq7x_vortex_stays_in_bounds', status: P('FAIL'), baseStatus: 'MISS', durationMs: 3 },
      { name: 'sum', status: P('FAIL'), baseStatus: 'PASS' },
      { name: 'holds_one_page', status: P('FAIL'), baseStatus: 'FAIL' },
      { name: 'greeting', status: P('PASS'), baseStatus: 'FAIL' },
      { name: 'wrap', status: P('PASS'), baseStatus: 'PASS' },
      { name: 'slow', status: P('SKIP'), baseStatus: 'SKIP' },
    ],
  },
];

test('counts: by status, and against the base only when it ran', () => {
  const cases = [{ status: 'FAIL' as const, baseStatus: 'MISS' }, { status: 'FAIL' as const, baseStatus: 'PASS' }, { status: 'FAIL' as const, baseStatus: 'FAIL' }, { status: 'PASS' as const, baseStatus: 'FAIL' }, { status: 'ERROR' as const, baseStatus: 'PASS' }];
  assert.deepEqual(countCases(cases, true), { pass: 1, fail: 3, error: 1, miss: 0, skip: 0, done: 0, regressions: 1, preExisting: 1, fixed: 1, newCases: 1, newCaseFailures: 1 });
  assert.deepEqual(countCases(cases, false), { pass: 1, fail: 3, error: 1, miss: 0, skip: 0, done: 0, regressions: 0, preExisting: 0, fixed: 0, newCases: 0, newCaseFailures: 0 });
});

test('the signed stages carry statuses, durations, base status and counts, never a case or a reason', () => {
  const split = splitStages(STAGES, { keepReason: false });
  const unit = split.stages[2]!;
  assert.deepEqual(unit.counts, { pass: 2, fail: 3, error: 0, miss: 0, skip: 1, done: 0, regressions: 1, preExisting: 1, fixed: 1, newCases: 1, newCaseFailures: 1 });
  assert.deepEqual([unit.name, unit.status, unit.durationMs, unit.baseStatus, unit.baseCached], ['workload:unit', P('FAIL'), 40, 'PASS', true]);
  const encoded = Buffer.from(darkroom.v1.Result.encode({ jobId: 'job-1', stages: split.stages }).finish()).toString('latin1');
  for (const text of ['zq7x_vortex', 'holds_one_page', 'exit status 1']) assert.ok(!encoded.includes(text), `the signed bytes hold no '${text}'`);
  assert.deepEqual(split.details[2]!.cases!.map((c) => c.name), STAGES[2]!.cases!.map((c) => c.name));
  assert.equal(split.details[2]!.reason, 'exit status 1 in tests/zq7x_vortex.c');
  assert.equal(splitStages([{ name: 'apply', status: P('ERROR'), reason: 'bundle refused: untrusted signer' }], { keepReason: true }).stages[0]!.reason, 'bundle refused: untrusted signer', 'a refused bundle keeps its reason: nobody to seal to');
});

function sealedResult(options: { recipients: Uint8Array[]; jobId?: string; attempt?: number; detailsJob?: string }) {
  const agent = generateIdentity();
  const split = splitStages(STAGES, { keepReason: false });
  const jobId = options.jobId ?? 'job-1';
  const sealedDetails = sealResultDetails({
    embargo: 'CVE-X', signer: { name: 'lab-1', identity: agent }, jobId: options.detailsJob ?? jobId, attempt: options.attempt ?? 1,
    recipients: options.recipients.map((boxKey, index) => ({ name: `m${index}`, boxKey })), details: split.details,
  });
  return { agent, parts: signResult({ jobId, attempt: 1, bundleId: 'b'.repeat(32), agentName: 'lab-1', stages: split.stages, sealedDetails, testerContact: 'Lab One <lab@example.org>' }, agent) };
}

test('the details open for a log reader and put back exactly what the agent saw', async () => {
  const maintainer = generateIdentity();
  const { parts } = sealedResult({ recipients: [maintainer.boxKey] });
  assert.equal(parts.result.testerContact, 'Lab One <lab@example.org>', 'the tester contact is signed');
  const stages = detailedStages(parts.result, await openResultDetails(parts.result, maintainer));
  assert.deepEqual(stages[2]!.cases!.map((c) => [c.name, c.status, c.baseStatus]), STAGES[2]!.cases!.map((c) => [c.name, c.status, c.baseStatus]));
  assert.equal(stages[2]!.reason, 'exit status 1 in tests/zq7x_vortex.c');
  assert.deepEqual(stages[2]!.counts, parts.result.stages[2]!.counts, 'the signed counts stay');
});

test('the details refuse anyone not sealed to, another agent\'s envelope, and another job\'s or attempt\'s details', async () => {
  const maintainer = generateIdentity();
  const { parts } = sealedResult({ recipients: [maintainer.boxKey] });
  await assert.rejects(openResultDetails(parts.result, generateIdentity()), (error: unknown) => error instanceof BundleError && error.code === 'NOT_FOR_ME');
  const other = sealedResult({ recipients: [maintainer.boxKey] });
  const swapped = darkroom.v1.Result.create({ ...parts.result, sealedDetails: other.parts.result.sealedDetails });
  await assert.rejects(openResultDetails(swapped, maintainer), (error: unknown) => error instanceof BundleError && error.code === 'UNTRUSTED_SIGNER', 'details signed by another agent');
  const moved = sealedResult({ recipients: [maintainer.boxKey], detailsJob: 'job-2' });
  await assert.rejects(openResultDetails(moved.parts.result, maintainer), (error: unknown) => error instanceof BundleError && error.code === 'UNTRUSTED_SIGNER', 'an envelope about another job');
  const attempt = sealedResult({ recipients: [maintainer.boxKey], attempt: 2 });
  await assert.rejects(openResultDetails(attempt.parts.result, maintainer), (error: unknown) => error instanceof DetailsError && error.code === 'DETAILS_MISMATCH');
});
