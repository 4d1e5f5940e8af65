import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { aggregate, emptyCounts, reportToProto, type Counts, type JobOutcome, type StageOutcome } from '../../../coordinator/report/index.js';
import type { Status } from '../../../shared/status.js';

const EPYC = 'x86_64/AMD/EPYC-7763';
const XEON = 'x86_64/Intel/Xeon-Gold-6338';
const ARM = 'aarch64/ARM/Neoverse-N1';

type Case = { name: string; status: Status; baseStatus?: string };
/** A stage as the coordinator knows it: the agent signed only how many cases failed or errored. */
const failing = (cases: readonly Case[]) => cases.filter((c) => c.status === 'FAIL' || c.status === 'ERROR').length;
const pass = (name: string, cases: readonly Case[] = []): StageOutcome => ({ name, status: 'PASS', failingCases: failing(cases) });
const stage = (name: string, status: Status, cases: readonly Case[] = []): StageOutcome => ({ name, status, failingCases: failing(cases) });

const KSELFTEST_NET = [
  { name: 'net.reuseport_bpf', status: 'PASS' as const },
  { name: 'net.udpgso_bench', status: 'PASS' as const },
  { name: 'net.tls', status: 'SKIP' as const },
];

function job(agent: string, hardwareClass: string, state: JobOutcome['state'], stages: StageOutcome[] = []): JobOutcome {
  return { jobId: `job-${agent}`, attempt: 1, agent, hardwareClass, tree: 'linux-6.1.y', state, stages };
}

// One bundle on a lab network, mid-way: two EPYC machines done (one with an LTP regression, one
// whose LTP install is broken), Xeons still busy, an ARM build broken, one ARM agent lost.
const JOBS: JobOutcome[] = [
  job('lab-epyc-1', EPYC, 'done', [pass('apply'), pass('build'), pass('boot'), pass('workload:kselftest-net', KSELFTEST_NET), pass('workload:ltp-syscalls', [{ name: 'syscalls.madvise06', status: 'PASS' }])]),
  job('lab-epyc-2', EPYC, 'done', [
    pass('apply'), pass('build'), pass('boot'), pass('workload:kselftest-net', KSELFTEST_NET),
    stage('workload:ltp-syscalls', 'FAIL', [{ name: 'syscalls.madvise06', status: 'FAIL', baseStatus: 'PASS' }, { name: 'syscalls.mmap01', status: 'PASS' }]),
  ]),
  job('lab-epyc-3', EPYC, 'done', [pass('apply'), pass('build'), pass('boot'), pass('workload:kselftest-net', KSELFTEST_NET), stage('workload:ltp-syscalls', 'ERROR')]),
  job('lab-xeon-1', XEON, 'running', [pass('apply'), stage('build', 'FAIL')]),
  job('lab-xeon-2', XEON, 'offered'),
  job('lab-xeon-3', XEON, 'queued'),
  job('lab-arm-1', ARM, 'done', [pass('apply'), stage('build', 'FAIL'), stage('boot', 'SKIP'), stage('workload:kselftest-net', 'SKIP'), stage('workload:ltp-syscalls', 'SKIP')]),
  job('lab-arm-2', ARM, 'lost'),
  job('lab-arm-3', ARM, 'cancelled'),
];

function counts(partial: Partial<Counts>): Counts {
  return { ...emptyCounts(), ...partial };
}

function cell(report: ReturnType<typeof aggregate>, hardwareClass: string, column: string): Counts | undefined {
  return report.rows.find((row) => row.hardwareClass === hardwareClass)?.cells.find((candidate) => candidate.column === column)?.counts;
}

test('columns are apply, build, boot, then the workloads sorted; rows are classes sorted', () => {
  const report = aggregate(JOBS);
  assert.deepEqual(report.columns, ['apply', 'build', 'boot', 'workload:kselftest-net', 'workload:ltp-syscalls']);
  assert.deepEqual(report.rows.map((row) => [row.hardwareClass, row.agents]), [[ARM, 3], [EPYC, 3], [XEON, 3]]);
  for (const row of report.rows) assert.deepEqual(row.cells.map((c) => c.column), report.columns);
});

test('done jobs count their stage verdicts; others count running, pending, miss or skip in every column', () => {
  const report = aggregate(JOBS);
  assert.deepEqual(cell(report, EPYC, 'build'), counts({ pass: 3 }));
  assert.deepEqual(cell(report, EPYC, 'workload:ltp-syscalls'), counts({ pass: 1, fail: 1, error: 1 }));
  assert.deepEqual(cell(report, XEON, 'apply'), counts({ running: 2, pending: 1 }), 'a running job\'s finished stages are not counted yet');
  assert.deepEqual(cell(report, XEON, 'workload:kselftest-net'), counts({ running: 2, pending: 1 }));
  assert.deepEqual(cell(report, ARM, 'apply'), counts({ pass: 1, miss: 1, skip: 1 }));
  assert.deepEqual(cell(report, ARM, 'build'), counts({ fail: 1, miss: 1, skip: 1 }));
  assert.deepEqual(cell(report, ARM, 'boot'), counts({ skip: 2, miss: 1 }));
});

test('failing stages name class, agent, stage, job and attempt, and count their failing cases; never a case name', () => {
  assert.deepEqual(aggregate(JOBS).failures, [
    { hardwareClass: ARM, agent: 'lab-arm-1', column: 'build', jobId: 'job-lab-arm-1', attempt: 1, status: 'FAIL', cases: 0 },
    { hardwareClass: EPYC, agent: 'lab-epyc-2', column: 'workload:ltp-syscalls', jobId: 'job-lab-epyc-2', attempt: 1, status: 'FAIL', cases: 1 },
    { hardwareClass: EPYC, agent: 'lab-epyc-3', column: 'workload:ltp-syscalls', jobId: 'job-lab-epyc-3', attempt: 1, status: 'ERROR', cases: 0 },
  ]);
});

test('the verdict rolls up every cell and is incomplete while jobs are queued or running', () => {
  const report = aggregate(JOBS);
  assert.equal(report.status, 'FAIL');
  assert.equal(report.complete, false);
  const settled = aggregate(JOBS.filter((j) => j.hardwareClass === EPYC && j.agent !== 'lab-epyc-2'));
  assert.equal(settled.status, 'ERROR', 'a broken tool is an ERROR, not a FAIL of the series');
  assert.equal(settled.complete, true);
  const clean = aggregate(JOBS.slice(0, 1));
  assert.equal(clean.status, 'PASS');
  assert.deepEqual(clean.failures, []);
});

test('workloads the bundle asked for show before any job finished; a done job without a stage counts it as skipped', () => {
  const waiting = aggregate([job('lab-xeon-3', XEON, 'queued')], { workloads: ['ltp-syscalls', 'boot-smoke'] });
  assert.deepEqual(waiting.columns, ['apply', 'build', 'boot', 'workload:boot-smoke', 'workload:ltp-syscalls']);
  assert.deepEqual(cell(waiting, XEON, 'workload:boot-smoke'), counts({ pending: 1 }));
  assert.equal(waiting.status, 'SKIP');
  const partial = aggregate([job('lab-epyc-1', EPYC, 'done', [pass('apply'), pass('build'), pass('boot')])], { workloads: ['ltp-syscalls'] });
  assert.deepEqual(cell(partial, EPYC, 'workload:ltp-syscalls'), counts({ skip: 1 }));
  assert.equal(partial.status, 'PASS');
});

test('no jobs: no rows, complete, and SKIP (nothing run is never a PASS)', () => {
  assert.deepEqual(aggregate([]), { columns: ['apply', 'build', 'boot'], rows: [], failures: [], complete: true, status: 'SKIP' });
});

test('the report maps onto darkroom.v1.Report and survives the wire', () => {
  const message = reportToProto(aggregate(JOBS), { bundleId: 'b-3f9a', embargo: 'CVE-2025-0001' });
  const decoded = darkroom.v1.Report.decode(darkroom.v1.Report.encode(message).finish());
  assert.equal(decoded.bundleId, 'b-3f9a');
  assert.equal(decoded.embargo, 'CVE-2025-0001');
  assert.equal(decoded.status, darkroom.v1.Status.FAIL);
  assert.equal(decoded.complete, false);
  assert.equal(decoded.barVerdictJson, '');
  assert.deepEqual(decoded.columns, ['apply', 'build', 'boot', 'workload:kselftest-net', 'workload:ltp-syscalls']);
  const epyc = decoded.rows.find((row) => row.hardwareClass === EPYC)!;
  assert.equal(epyc.agents, 3);
  const ltp = (epyc.cells ?? []).find((c) => c.column === 'workload:ltp-syscalls')!;
  assert.deepEqual({ pass: ltp.counts!.pass, fail: ltp.counts!.fail, error: ltp.counts!.error, running: ltp.counts!.running }, { pass: 1, fail: 1, error: 1, running: 0 });
  assert.deepEqual(decoded.failures.map((f) => [f.agent, f.column, f.caseName, darkroom.v1.Status[f.status ?? 0], f.jobId, f.cases]), [
    ['lab-arm-1', 'build', '', 'FAIL', 'job-lab-arm-1', 0],
    ['lab-epyc-2', 'workload:ltp-syscalls', '', 'FAIL', 'job-lab-epyc-2', 1],
    ['lab-epyc-3', 'workload:ltp-syscalls', '', 'ERROR', 'job-lab-epyc-3', 0],
  ]);
});
