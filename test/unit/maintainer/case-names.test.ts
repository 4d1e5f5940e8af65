// The maintainer puts case names back into what the coordinator judged without them: its failing
// stages become today's failing cases, the bar's broken and fixed entries name their cases, and
// what this home cannot open stays counted. The recipients check names who has no result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { evaluateBar, type BarJob } from '../../../coordinator/bar/evaluate.js';
import { nameBarVerdict, nameFailures } from '../../../maintainer/case-names.js';
import { openResult, type OpenedResult } from '../../../maintainer/details.js';
import { checkRecipients, recipientCheckLine } from '../../../maintainer/missing-results.js';
import { generateIdentity, type Identity } from '../../../shared/identity.js';
import { signResult } from '../../../shared/result.js';
import { sealResultDetails, splitStages, zeroCounts } from '../../../shared/result-details.js';
import { isStatus, statusFromProto, statusToProto } from '../../../shared/status.js';

const P = statusToProto;
const BUNDLE = 'c'.repeat(32);
const UNIT: darkroom.v1.StageResult.$Properties = {
  name: 'workload:unit', status: P('FAIL'), baseStatus: 'PASS',
  cases: [
    { name: 'sum', status: P('FAIL'), baseStatus: 'PASS' },
    { name: 'added_case', status: P('FAIL'), baseStatus: 'MISS' },
    { name: 'holds_one_page', status: P('FAIL'), baseStatus: 'FAIL' },
    { name: 'greeting', status: P('PASS'), baseStatus: 'FAIL' },
    { name: 'crashes', status: P('ERROR'), baseStatus: 'PASS' },
  ],
};
const STAGES = [{ name: 'apply', status: P('PASS') }, { name: 'build', status: P('PASS') }, UNIT];

async function opened(reader: Identity, sealedTo: Identity): Promise<OpenedResult> {
  const agent = generateIdentity();
  const split = splitStages(STAGES, { keepReason: false });
  const sealedDetails = sealResultDetails({ embargo: 'CVE-X', signer: { name: 'lab-a', identity: agent }, jobId: 'job-a', attempt: 1, recipients: [{ name: 'alice', boxKey: sealedTo.boxKey }], details: split.details });
  const parts = signResult({ jobId: 'job-a', attempt: 1, bundleId: BUNDLE, agentName: 'lab-a', hardwareClass: 'x86', stages: split.stages, sealedDetails }, agent);
  return openResult({ parts, agent: 'lab-a', contact: '', fingerprint: 'DR1:TEST', boxKey: agent.boxKey }, reader);
}

/** What the coordinator's bar judge sees of the same result: the signed stages only. */
function barJob(result: OpenedResult): BarJob {
  const { parts } = result.verified;
  return {
    jobId: 'job-a', agent: 'lab-a', hardwareClass: 'x86', tree: 'linux', open: false,
    result: {
      resultId: parts.resultId, receivedAtMs: 0,
      stages: parts.result.stages.map((s) => ({ name: s.name ?? '', status: statusFromProto(s.status ?? 0), baseStatus: isStatus(s.baseStatus) ? s.baseStatus : null, counts: { ...zeroCounts(), ...darkroom.v1.CaseCounts.toObject(darkroom.v1.CaseCounts.create(s.counts ?? {})) } })),
    },
  };
}

const FAILING_STAGE: darkroom.v1.FailingCase.$Properties = { hardwareClass: 'x86', agent: 'lab-a', column: 'workload:unit', status: P('FAIL'), jobId: 'job-a', attempt: 1, cases: 4 };

test('a failing stage becomes one failing case per failing or erroring case, with base statuses, sorted', async () => {
  const alice = generateIdentity();
  const result = await opened(alice, alice);
  const named = nameFailures([FAILING_STAGE], () => result, ['apply', 'build', 'boot', 'workload:unit']);
  assert.deepEqual(named.map((f) => [f.caseName, statusFromProto(f.status!), f.baseStatus]), [
    ['added_case', 'FAIL', 'MISS'], ['crashes', 'ERROR', 'PASS'], ['holds_one_page', 'FAIL', 'FAIL'], ['sum', 'FAIL', 'PASS'],
  ]);
});

test('a stage this home cannot open stays as the coordinator listed it, counted and unnamed', async () => {
  const result = await opened(generateIdentity(), generateIdentity());
  assert.match(result.problem!, /not sealed to this home's key/);
  assert.deepEqual(nameFailures([FAILING_STAGE], () => result, []), [FAILING_STAGE]);
});

test('the bar verdict judged from counts names each broken and fixed case once opened', async () => {
  const alice = generateIdentity();
  const result = await opened(alice, alice);
  const verdict = evaluateBar({ format: 1, buildClasses: null, bootClasses: null, workloads: [], noNewFailures: true, deadlineMs: null }, [barJob(result)], { now: 0 });
  assert.deepEqual(verdict.broken.map((b) => [b.case, b.cases, b.reason]), [['', 1, 'regression'], ['', 1, 'new case fails']], 'the coordinator counts');
  const named = nameBarVerdict(JSON.parse(JSON.stringify(verdict)), [result]) as typeof verdict;
  assert.deepEqual(named.broken.map((b) => [b.case, b.baseStatus, b.reason, 'cases' in b]), [['sum', 'PASS', 'regression', false], ['added_case', 'MISS', 'new case fails', false]]);
  assert.deepEqual(named.classification, { pass: 0, regression: 2, preExisting: 1, fixed: 1, fixedCases: ['lab-a workload:unit greeting'] });
  const unopened = nameBarVerdict(JSON.parse(JSON.stringify(verdict)), []) as typeof verdict;
  assert.deepEqual(unopened.broken, JSON.parse(JSON.stringify(verdict.broken)), 'without the details the counts stay');
  assert.equal(unopened.classification!.fixedIn.length, 1);
});

test('recipients: the ones the home sealed to without a verified result are named; a home without the record says it cannot check', async () => {
  const alice = generateIdentity();
  const result = await opened(alice, alice);
  const check = checkRecipients({ bundleId: BUNDLE, recipients: ['lab-a', 'lab-b'] }, [result.verified]);
  assert.deepEqual(check, { checked: true, withoutResult: ['lab-b'] });
  assert.match(recipientCheckLine(check, BUNDLE)!, /^no signed result from lab-b, to whom bundle c+ was sealed/);
  assert.deepEqual(checkRecipients({ bundleId: 'd'.repeat(32), recipients: ['lab-a'] }, [result.verified]).withoutResult, ['lab-a'], 'a result of another bundle does not count');
  assert.equal(recipientCheckLine(checkRecipients({ bundleId: BUNDLE, recipients: ['lab-a'] }, [result.verified]), BUNDLE), null);
  assert.match(recipientCheckLine(checkRecipients(null, []), BUNDLE)!, /^recipients not checked/);
});
