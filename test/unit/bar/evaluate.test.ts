// The quality bar's verdict, vector by vector: met, pending (and what is missing), failed (by a
// new failure, named, or by the deadline); pre-existing failures and late results do not count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateBar, type BarCase, type BarJob, type BarStage } from '../../../coordinator/bar/evaluate.js';
import type { QualityBar } from '../../../coordinator/bar/format.js';
import type { Status } from '../../../shared/status.js';

const NOW = Date.parse('2030-01-10T00:00Z');
const BAR: QualityBar = {
  format: 1,
  buildClasses: null,
  bootClasses: 2,
  workloads: [{ name: 'unit', unit: 'classes', need: 2 }, { name: 'stress', unit: 'agents', need: 2 }],
  noNewFailures: true,
  deadlineMs: Date.parse('2030-01-20T00:00Z'),
};

const kase = (name: string, status: Status, baseStatus: Status | null = 'PASS'): BarCase => ({ name, status, baseStatus });
const st = (name: string, status: Status, cases: BarCase[] = [], baseStatus: Status | null = cases.length ? 'PASS' : null): BarStage => ({ name, status, baseStatus, cases });

/** A done job whose stages all pass, with `unit` cases as given. */
function job(agent: string, hardwareClass: string, options: { unit?: BarCase[]; unitStatus?: Status; stress?: Status; build?: Status; boot?: Status; receivedAtMs?: number; open?: boolean; tree?: string } = {}): BarJob {
  const unit = options.unit ?? [kase('sum', 'PASS'), kase('greeting', 'PASS')];
  return {
    jobId: `job-${agent}-${options.tree ?? 'linux'}`,
    agent,
    hardwareClass,
    tree: options.tree ?? 'linux',
    open: options.open ?? false,
    result: {
      resultId: `result-${agent}`,
      receivedAtMs: options.receivedAtMs ?? NOW - 1000,
      stages: [
        st('apply', 'PASS'), st('build', options.build ?? 'PASS'), st('boot', options.boot ?? 'PASS'),
        st('workload:unit', options.unitStatus ?? (unit.some((c) => c.status === 'FAIL') ? 'FAIL' : 'PASS'), unit),
        st('workload:stress', options.stress ?? 'PASS', [kase('hello_sum', options.stress ?? 'PASS')]),
      ],
    },
  };
}

const openJob = (agent: string, hardwareClass: string, tree = 'linux'): BarJob => ({ jobId: `job-${agent}-${tree}`, agent, hardwareClass, tree, open: true, result: null });

test('met: two classes pass every stage and workload, nothing new fails, every job has ended', () => {
  const verdict = evaluateBar(BAR, [job('a', 'x86'), job('b', 'arm64')], { now: NOW });
  assert.equal(verdict.verdict, 'met');
  assert.deepEqual(verdict.missing, []);
  assert.deepEqual(verdict.requirements.map((r) => [r.requirement, r.state, r.have]), [
    ['boot', 'met', ['arm64', 'x86']], ['workload:unit', 'met', ['arm64', 'x86']], ['workload:stress', 'met', ['a', 'b']], ['no_new_failures', 'met', undefined],
  ]);
  assert.deepEqual(verdict.classification, { pass: 6, regression: 0, preExisting: 0, fixed: 0, fixedCases: [] });
});

test('pending: names the classes, agents and jobs still missing', () => {
  const verdict = evaluateBar(BAR, [job('a', 'x86'), job('a2', 'x86', { stress: 'ERROR' }), openJob('c', 'arm64')], { now: NOW });
  assert.equal(verdict.verdict, 'pending');
  assert.deepEqual(verdict.missing, [
    'boot: 1 more hardware class',
    'workload:unit: 1 more hardware class',
    'workload:stress: 1 more agent',
    'no_new_failures: 1 job still to report',
  ]);
  assert.deepEqual(verdict.broken, [], 'an ERROR blames the machine, not the series');
});

test('pending: the counts are reached but a running job could still bring a new failure', () => {
  const verdict = evaluateBar(BAR, [job('a', 'x86'), job('b', 'arm64'), openJob('c', 'ppc64')], { now: NOW });
  assert.equal(verdict.verdict, 'pending');
  assert.deepEqual(verdict.missing, ['no_new_failures: 1 job still to report']);
  assert.equal(evaluateBar({ ...BAR, noNewFailures: false }, [job('a', 'x86'), job('b', 'arm64'), openJob('c', 'ppc64')], { now: NOW }).verdict, 'met', 'without no_new_failures the counts suffice');
});

test('failed: a regression names the result, job, agent, class and case that broke the bar', () => {
  const verdict = evaluateBar(BAR, [job('a', 'x86'), job('b', 'arm64', { unit: [kase('sum', 'FAIL', 'PASS'), kase('greeting', 'PASS')] }), openJob('c', 'ppc64')], { now: NOW });
  assert.equal(verdict.verdict, 'failed', 'failed at once, even while a job still runs');
  assert.deepEqual(verdict.broken, [{ resultId: 'result-b', jobId: 'job-b-linux', agent: 'b', hardwareClass: 'arm64', column: 'workload:unit', case: 'sum', status: 'FAIL', baseStatus: 'PASS', reason: 'regression' }]);
  assert.equal(verdict.classification!.regression, 1);
});

test('a pre-existing failure (failing on the base too) does not break the bar; a fixed case is counted', () => {
  const unit = [kase('holds_one_page', 'FAIL', 'FAIL'), kase('sum', 'PASS', 'FAIL'), kase('greeting', 'PASS')];
  const verdict = evaluateBar({ ...BAR, workloads: [{ name: 'unit', unit: 'classes', need: 1 }] }, [job('a', 'x86'), job('b', 'arm64', { unit })], { now: NOW });
  assert.equal(verdict.verdict, 'met');
  assert.deepEqual(verdict.classification, { pass: 5, regression: 0, preExisting: 1, fixed: 1, fixedCases: ['b workload:unit sum'] });
});

test('new failures without the base to excuse them: a new case, no base run, a failed build', () => {
  const newCase = evaluateBar(BAR, [job('a', 'x86', { unit: [kase('added', 'FAIL', 'MISS')] })], { now: NOW });
  assert.deepEqual(newCase.broken.map((b) => [b.case, b.reason]), [['added', 'new case fails']]);
  const noBase = evaluateBar(BAR, [job('a', 'x86', { unit: [kase('sum', 'FAIL', null)] })], { now: NOW });
  assert.deepEqual(noBase.broken.map((b) => [b.case, b.reason]), [['sum', 'no base run']]);
  const build = evaluateBar(BAR, [job('a', 'x86', { build: 'FAIL' })], { now: NOW });
  assert.deepEqual(build.broken.map((b) => [b.column, b.case, b.reason]), [['build', '', 'stage failed']]);
  assert.equal(evaluateBar({ ...BAR, noNewFailures: false }, [job('a', 'x86', { build: 'FAIL' })], { now: NOW }).broken.length, 0, 'only no_new_failures judges failures');
});

test('failed: the deadline passed with a requirement unmet; results after it do not count', () => {
  const after = Date.parse('2030-01-21T00:00Z');
  const verdict = evaluateBar(BAR, [job('a', 'x86'), job('b', 'arm64', { receivedAtMs: after - 1000 }), openJob('c', 'ppc64')], { now: after });
  assert.equal(verdict.verdict, 'failed');
  assert.equal(verdict.deadlinePassed, true);
  assert.deepEqual(verdict.missing, ['boot: 1 more hardware class', 'workload:unit: 1 more hardware class', 'workload:stress: 1 more agent', 'deadline 2030-01-20T00:00:00.000Z passed']);
  assert.deepEqual(verdict.broken, []);
  const metInTime = evaluateBar(BAR, [job('a', 'x86'), job('b', 'arm64'), openJob('c', 'ppc64')], { now: after });
  assert.equal(metInTime.verdict, 'met', 'met by the deadline; a job still open then no longer matters');
});

test('a stage that fails with no failing case is excused only by the same stage failing on the base', () => {
  const excused = job('a', 'x86', { unit: [], unitStatus: 'FAIL' });
  (excused.result!.stages[3] as { baseStatus: Status | null }).baseStatus = 'FAIL';
  assert.equal(evaluateBar(BAR, [excused], { now: NOW }).broken.length, 0);
  const unexcused = job('a', 'x86', { unit: [], unitStatus: 'FAIL' });
  (unexcused.result!.stages[3] as { baseStatus: Status | null }).baseStatus = 'PASS';
  assert.deepEqual(evaluateBar(BAR, [unexcused], { now: NOW }).broken.map((b) => [b.column, b.reason]), [['workload:unit', 'base did not fail']]);
});

test('each target tree reaches the counts on its own; a bundle without jobs is pending, not met', () => {
  const bar: QualityBar = { ...BAR, workloads: [], noNewFailures: false };
  const verdict = evaluateBar(bar, [job('a', 'x86', { tree: '6.1' }), job('b', 'arm64', { tree: '6.1' }), job('a', 'x86', { tree: '6.6' }), openJob('b', 'arm64', '6.6')], { now: NOW });
  assert.equal(verdict.verdict, 'pending');
  assert.deepEqual(verdict.requirements.map((r) => [r.requirement, r.tree, r.state]), [['boot', '6.1', 'met'], ['boot', '6.6', 'pending']]);
  assert.deepEqual(verdict.missing, ['boot (6.6): 1 more hardware class']);
  const empty = evaluateBar(bar, [], { now: NOW });
  assert.equal(empty.verdict, 'pending');
  assert.deepEqual(empty.missing, ['boot: 2 more hardware classes']);
  const vacuous = evaluateBar({ ...bar, bootClasses: null, noNewFailures: true }, [], { now: NOW });
  assert.deepEqual([vacuous.verdict, vacuous.missing], ['pending', ['no result yet']], 'nothing demonstrated meets no bar');
});

test('boot counts only a boot that ran and passed: boot method none (SKIP) does not meet it, and build counts builds', () => {
  const bar: QualityBar = { ...BAR, bootClasses: 1, workloads: [], noNewFailures: false };
  const unbooted = evaluateBar(bar, [job('a', 'x86', { boot: 'SKIP' })], { now: NOW });
  assert.equal(unbooted.verdict, 'pending');
  assert.deepEqual(unbooted.missing, ['boot: 1 more hardware class']);
  assert.equal(evaluateBar(bar, [job('a', 'x86', { boot: 'SKIP' }), job('b', 'arm64')], { now: NOW }).verdict, 'met', 'met by the class whose boot passed');
  assert.equal(evaluateBar(bar, [job('a', 'x86', { boot: 'FAIL' })], { now: NOW }).verdict, 'pending');
  const builds: QualityBar = { ...bar, buildClasses: 2, bootClasses: null };
  const onlyBuilt = evaluateBar(builds, [job('a', 'x86', { boot: 'SKIP' }), job('b', 'arm64', { boot: 'FAIL' })], { now: NOW });
  assert.deepEqual(onlyBuilt.requirements.map((r) => [r.requirement, r.state, r.have]), [['build', 'met', ['arm64', 'x86']]]);
  assert.equal(onlyBuilt.verdict, 'met', 'a lab that only builds meets a build requirement');
  const notBuilt = evaluateBar(builds, [job('a', 'x86', { build: 'SKIP', boot: 'SKIP' }), job('b', 'arm64', { build: 'FAIL' })], { now: NOW });
  assert.deepEqual(notBuilt.missing, ['build: 2 more hardware classes'], 'a build that did not run or failed does not count');
});
