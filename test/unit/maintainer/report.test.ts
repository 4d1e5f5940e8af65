import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { REPORT_EXIT, formatCounts, prefersUnicode, renderReport, reportExitCode, reportToJson, summaryLine } from '../../../maintainer/render/report.js';

const { Status } = darkroom.v1;
const COLUMNS = ['apply', 'build', 'boot', 'workload:unit', 'workload:stress'];

/** One agent per class that ran every column, with `overrides` per column. */
function row(hardwareClass: string, overrides: Record<string, darkroom.v1.Counts.$Properties> = {}): darkroom.v1.ReportRow.$Properties {
  return { hardwareClass, agents: 1, cells: COLUMNS.map((column) => ({ column, counts: overrides[column] ?? { pass: 1 } })) };
}

/** What the demo ends with: two classes pass, the 64K-page arm64 agent fails one unit case. */
function demoReport(): darkroom.v1.Report {
  return darkroom.v1.Report.create({
    bundleId: '5b0e6c1f9a2d4e7b8c3f1a0d2e4b6c8a',
    embargo: 'ringbuf-2025-001',
    columns: COLUMNS,
    rows: [row('x86_64/AMD/EPYC'), row('x86_64/Intel/Xeon'), row('aarch64/Ampere/Altra', { 'workload:unit': { fail: 1 } })],
    failures: [{ hardwareClass: 'aarch64/Ampere/Altra', agent: 'agent-c', column: 'workload:unit', caseName: 'holds_one_page', status: Status.FAIL, baseStatus: 'FAIL' }],
    complete: true,
    status: Status.FAIL,
  });
}

/** Mid-run: one job built and is booting, one errored in build, one is still queued. */
function runningReport(): darkroom.v1.Report {
  return darkroom.v1.Report.create({
    bundleId: 'e1f2',
    embargo: 'ringbuf-2025-001',
    columns: ['apply', 'build', 'boot', 'workload:unit'],
    rows: [
      {
        hardwareClass: 'x86_64/AMD/EPYC',
        agents: 3,
        cells: [
          { column: 'apply', counts: { pass: 2, pending: 1 } },
          { column: 'build', counts: { pass: 1, error: 1, pending: 1 } },
          { column: 'boot', counts: { running: 1, skip: 1, pending: 1 } },
        ],
      },
    ],
    complete: false,
  });
}

test('the demo report renders as an ASCII table with the failing case and a summary', () => {
  assert.equal(
    renderReport(demoReport(), { unicode: false }),
    [
      'Bundle 5b0e6c1f9a2d4e7b8c3f1a0d2e4b6c8a - embargo ringbuf-2025-001 - complete',
      '',
      'hardware class        agents  apply  build  boot  unit  stress',
      'x86_64/AMD/EPYC       1       1ok    1ok    1ok   1ok   1ok',
      'x86_64/Intel/Xeon     1       1ok    1ok    1ok   1ok   1ok',
      'aarch64/Ampere/Altra  1       1ok    1ok    1ok   1F    1ok',
      'ok pass  F fail  E error  M miss  S skip  D done  R running  W pending',
      '',
      'Failing cases:',
      '  aarch64/Ampere/Altra  agent-c  unit  holds_one_page: FAIL (pre-existing, FAIL on base)',
      '',
      'FAILED: 14 pass, 1 fail; 0 running, 0 pending; 3 agents in 3 hardware classes',
      '',
    ].join('\n'),
  );
});

test('a report in progress shows every count compactly, in Unicode on a UTF-8 terminal', () => {
  const text = renderReport(runningReport(), { unicode: true });
  assert.match(text, /^Bundle e1f2 · embargo ringbuf-2025-001 · in progress$/m);
  assert.match(text, /^x86_64\/AMD\/EPYC {2}3 {7}2✓ 1… {2}1✓ 1E 1… {2}1S 1▸ 1… {2}-$/m);
  assert.match(text, /^FAILED: 3 pass, 1 error, 1 skip; 1 running, 3 pending; 3 agents in 1 hardware class$/m);
  assert.doesNotMatch(text, /Failing cases/);
});

test('cells list only the counts present, in a fixed order', () => {
  const counts = { pass: 3, fail: 1, error: 1, miss: 0, skip: 0, done: 0, running: 0, pending: 2 };
  assert.equal(formatCounts(counts, { unicode: true }), '3✓ 1✗ 1E 2…');
  assert.equal(formatCounts(counts, { unicode: false }), '3ok 1F 1E 2W');
  assert.equal(formatCounts({ ...counts, pass: 0, fail: 0, error: 0, pending: 0 }, { unicode: true }), '-');
});

test('Unicode only on a terminal with a UTF-8 locale', () => {
  assert.equal(prefersUnicode({ isTTY: true }, { LANG: 'en_US.UTF-8' }), true);
  assert.equal(prefersUnicode({ isTTY: true }, { LC_ALL: 'C', LANG: 'en_US.UTF-8' }), false);
  assert.equal(prefersUnicode({ isTTY: false }, { LANG: 'en_US.UTF-8' }), false);
  assert.equal(prefersUnicode({}, { LC_CTYPE: 'C.utf8' }), false);
});

test('the JSON shape is plain, complete and uses KCIDB words', () => {
  const json = reportToJson(demoReport());
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  assert.equal(json.format, 'darkroom.report.v1');
  assert.equal(json.status, 'FAIL');
  assert.deepEqual(json.columns, COLUMNS);
  assert.deepEqual(json.rows[2]?.cells[3], { column: 'workload:unit', status: 'FAIL', counts: { pass: 0, fail: 1, error: 0, miss: 0, skip: 0, done: 0, running: 0, pending: 0 } });
  assert.equal(json.totals.pass, 14);
  assert.deepEqual(json.failures, [
    { hardwareClass: 'aarch64/Ampere/Altra', agent: 'agent-c', column: 'workload:unit', case: 'holds_one_page', status: 'FAIL', baseStatus: 'FAIL', classification: 'pre-existing' },
  ]);
  assert.equal(json.bar, null);
});

test('the JSON fills a column a row never reached and has null statuses before any result', () => {
  const json = reportToJson(runningReport());
  assert.equal(json.status, null);
  assert.deepEqual(json.rows[0]?.cells.map((cell) => cell.status), ['PASS', 'ERROR', 'SKIP', null]);
  assert.deepEqual(json.rows[0]?.cells[3]?.counts, { pass: 0, fail: 0, error: 0, miss: 0, skip: 0, done: 0, running: 0, pending: 0 });
  assert.deepEqual(json.totals, { pass: 3, fail: 0, error: 1, miss: 0, skip: 1, done: 0, running: 1, pending: 3 });
});

test('a failure that passes on the base is a regression; the bar verdict is carried as JSON', () => {
  const report = demoReport();
  report.failures[0]!.baseStatus = 'PASS';
  report.barVerdictJson = JSON.stringify({ verdict: 'failed', brokenBy: 'agent-c' });
  const json = reportToJson(report);
  assert.equal(json.failures[0]?.classification, 'regression');
  assert.deepEqual(json.bar, { verdict: 'failed', brokenBy: 'agent-c' });
  assert.match(renderReport(report, { unicode: false }), /^Quality bar: failed$/m);
});

test('a malformed bar verdict or base status is refused with a stable code', () => {
  const badBar = demoReport();
  badBar.barVerdictJson = '{"verdict":';
  assert.throws(() => reportToJson(badBar), { code: 'REPORT_MALFORMED' });
  const badBase = demoReport();
  badBase.failures[0]!.baseStatus = 'BROKEN';
  assert.throws(() => reportToJson(badBase), (error: Error & { code?: string }) => error.code === 'REPORT_MALFORMED' && /BROKEN/.test(error.message));
});

test('the exit code is 0 only when every job ended and everything passed', () => {
  const passing = darkroom.v1.Report.create({ bundleId: 'b', columns: COLUMNS, rows: [row('x86_64/AMD/EPYC'), row('aarch64/Ampere/Altra')], complete: true, status: Status.PASS });
  assert.equal(reportExitCode(passing), REPORT_EXIT.PASSED);
  assert.match(summaryLine(passing), /^PASSED: 10 pass;/);

  assert.equal(reportExitCode(demoReport()), REPORT_EXIT.FAILED);
  assert.equal(reportExitCode(runningReport()), REPORT_EXIT.FAILED, 'an error decides before the rest finishes');

  const pending = darkroom.v1.Report.create({ bundleId: 'b', columns: ['apply'], rows: [{ hardwareClass: 'x', agents: 1, cells: [{ column: 'apply', counts: { pass: 1 } }] }, { hardwareClass: 'y', agents: 1, cells: [{ column: 'apply', counts: { pending: 1 } }] }] });
  assert.equal(reportExitCode(pending), REPORT_EXIT.PENDING);

  const nothingRan = darkroom.v1.Report.create({ bundleId: 'b', columns: ['apply'], rows: [], complete: true });
  assert.equal(reportExitCode(nothingRan), REPORT_EXIT.FAILED, 'nothing run is not a pass');

  const missed = darkroom.v1.Report.create({ bundleId: 'b', columns: ['apply'], rows: [{ hardwareClass: 'x', agents: 1, cells: [{ column: 'apply', counts: { pass: 1, miss: 1 } }] }], complete: true });
  assert.equal(reportExitCode(missed), REPORT_EXIT.FAILED);
});

test('failures that all fail on the base too, with the bar met, are said so in the last line; the exit code stays 1', () => {
  const bar = { verdict: 'met', missing: [], broken: [], classification: { pass: 13, regression: 0, preExisting: 1, fixed: 0, fixedCases: [] } };
  const report = demoReport();
  report.barVerdictJson = JSON.stringify(bar);
  const lines = renderReport(report, { unicode: false }).trimEnd().split('\n');
  assert.ok(lines.includes('Quality bar: met'));
  assert.equal(lines.at(-1), 'PRE-EXISTING FAILURES ONLY, quality bar met: 14 pass, 1 fail; 0 running, 0 pending; 3 agents in 3 hardware classes');
  assert.equal(reportExitCode(report), REPORT_EXIT.FAILED, 'exit 0 stays reserved for everything passed');

  assert.match(summaryLine(demoReport()), /^FAILED: /, 'without a bar nothing says the failures do not matter');
  const noBase = demoReport();
  noBase.barVerdictJson = JSON.stringify({ ...bar, classification: null });
  assert.match(summaryLine(noBase), /^FAILED: /, 'a bar that ran no base cannot call a failure pre-existing');
  const regression = demoReport();
  regression.failures[0]!.baseStatus = 'PASS';
  regression.barVerdictJson = JSON.stringify(bar);
  assert.match(summaryLine(regression), /^FAILED: /);
  const pending = demoReport();
  pending.barVerdictJson = JSON.stringify({ ...bar, verdict: 'pending' });
  assert.match(summaryLine(pending), /^FAILED: /);
});
