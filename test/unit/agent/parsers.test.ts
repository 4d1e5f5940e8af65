import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseWorkloadOutput, type CaseResult, type ParsedWorkload } from '../../../agent/parsers/index.js';
import { ktapLine, ktapStatus } from '../../../agent/parsers/ktap.js';
import { ltpExitStatus } from '../../../agent/parsers/ltp.js';
import { fixturePath } from '../../support/paths.js';

const sample = (name: string) => readFileSync(fixturePath('parsers', name), 'utf8');
const byName = (result: ParsedWorkload) => new Map(result.cases.map((item: CaseResult) => [item.name, item.status]));

test('kselftest runner output: nested KTAP behind "# ", collection.test names, SKIP, TIMEOUT and a cut plan', () => {
  const result = parseWorkloadOutput('ktap', { stdout: sample('kselftest-run.ktap'), exitCode: 1, name: 'timers' });
  const cases = byName(result);
  assert.equal(cases.get('timers.posix_timers.Passed_for_ITIMER_VIRTUAL'), 'PASS');
  assert.equal(cases.get('timers.posix_timers.check_gettime_CLOCK_MONOTONIC'), 'SKIP');
  assert.equal(cases.has('timers.posix_timers'), false, 'a passing parent adds nothing to its passing children');
  assert.equal(cases.get('timers.nanosleep.CLOCK_BOOTTIME'), 'FAIL');
  assert.equal(cases.get('timers.nanosleep.CLOCK_TAI'), 'PASS');
  assert.equal(cases.get('timers.rtcpie'), 'SKIP');
  assert.equal(cases.get('timers.inconsistency-check.CLOCK_REALTIME'), 'PASS');
  assert.equal(cases.get('timers.inconsistency-check.missing-2'), 'ERROR');
  assert.equal(cases.get('timers.inconsistency-check'), 'FAIL', 'the TIMEOUT verdict is worse than its children and is kept');
  assert.equal(result.cases.filter((item) => item.name.startsWith('timers.posix_timers.')).length, 9);
  assert.equal(result.status, 'FAIL');
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]!, /announced 2 tests but 1 reported/);
});

test('KUnit over a serial console: printk prefixes dropped, 4-space nesting, parameterised subtests', () => {
  const result = parseWorkloadOutput('ktap', { stdout: sample('kunit-console.log'), exitCode: 0, name: 'kunit' });
  const cases = byName(result);
  assert.equal(cases.get('example.example_simple_test'), 'PASS');
  assert.equal(cases.get('example.example_skip_test'), 'SKIP');
  assert.equal(cases.get('example.example_params_test.example_value_3'), 'PASS');
  assert.equal(cases.get('example.example_params_test.example_value_0'), 'SKIP');
  assert.equal(cases.get('example.example_mark_slow_test'), 'PASS');
  assert.equal(cases.get('list-kunit-test.list_test_list_add'), 'FAIL');
  assert.equal(cases.get('list-kunit-test.list_test_list_add_tail'), 'PASS');
  assert.equal(result.cases.length, 10);
  assert.deepEqual(result.problems, []);
  assert.equal(result.status, 'FAIL');
});

test('KTAP lines: depth by indentation unit, directives by the kernel\'s words', () => {
  assert.deepEqual(ktapLine('        ok 3 example value 1'), { depth: 2, line: { kind: 'result', ok: true, number: 3, name: 'example value 1', directive: '' } });
  assert.deepEqual(ktapLine('# # Totals: pass:1'), undefined);
  assert.equal(ktapLine('# not ok 2 foo # XFAIL known')?.depth, 1);
  assert.equal(ktapStatus(true, 'XFAIL known bug'), 'PASS');
  assert.equal(ktapStatus(false, 'TIMEOUT 45 seconds'), 'FAIL');
  assert.equal(ktapStatus(false, 'ERROR setup'), 'ERROR');
  assert.equal(ktapStatus(false, 'TODO later'), 'SKIP');
  assert.equal(ktapStatus(false, 'exit=1'), 'FAIL');
});

test('KTAP: output with no KTAP in it is an ERROR, not a PASS', () => {
  const result = parseWorkloadOutput('ktap', { stdout: '[    0.1] Booting\nsh: can\'t access tty\n', exitCode: 0, name: 'k' });
  assert.equal(result.status, 'ERROR');
  assert.deepEqual(result.cases, []);
  assert.match(result.problems[0]!, /No KTAP output/);
});

test('KTAP: a top-level plan not met names the missing tests', () => {
  const result = parseWorkloadOutput('ktap', { stdout: 'KTAP version 1\n1..3\nok 1 a\n', exitCode: 0, name: 'k' });
  assert.deepEqual(result.cases, [{ name: 'a', status: 'PASS' }, { name: 'missing-2-3', status: 'ERROR' }]);
  assert.equal(result.status, 'ERROR');
});

const LTP_EXPECTED = new Map([['abort01', 'PASS'], ['accept02', 'FAIL'], ['add_key05', 'SKIP'], ['fanotify10', 'ERROR']]);

test('LTP runltp output: one case per test block, TCONF is SKIP, TBROK is ERROR, durations kept', () => {
  const result = parseWorkloadOutput('ltp', { stdout: sample('ltp-runltp.log'), exitCode: 1, name: 'syscalls' });
  assert.deepEqual(byName(result), LTP_EXPECTED);
  assert.equal(result.cases.find((item) => item.name === 'fanotify10')?.durationMs, 2000);
  assert.equal(result.status, 'FAIL');
  assert.deepEqual(result.problems, []);
});

test('LTP runltp results table and kirk report give the same verdicts', () => {
  for (const file of ['ltp-results.txt', 'ltp-kirk.txt']) {
    const result = parseWorkloadOutput('ltp', { stdout: sample(file), exitCode: 1, name: 'syscalls' });
    assert.deepEqual(byName(result), LTP_EXPECTED, file);
    assert.deepEqual(result.problems, [], file);
  }
  const kirk = parseWorkloadOutput('ltp', { stdout: sample('ltp-kirk.txt'), exitCode: 1, name: 'syscalls' });
  assert.equal(kirk.cases.find((item) => item.name === 'accept02')?.durationMs, 1034);
});

test('LTP: a single test run directly rolls its TPASS/TFAIL/TWARN lines into one case', () => {
  const result = parseWorkloadOutput('ltp', { stdout: sample('ltp-single.log'), exitCode: 5, name: 'madvise06' });
  assert.deepEqual(result.cases, [{ name: 'madvise06', status: 'FAIL' }]);
  const conf = parseWorkloadOutput('ltp', { stdout: 'tst_test.c:1236: TCONF: useradd not found\n', exitCode: 32, name: 'add_key05' });
  assert.deepEqual(conf.cases, [{ name: 'add_key05', status: 'SKIP' }]);
  assert.equal(ltpExitStatus(2), 'ERROR');
  assert.equal(ltpExitStatus(3), 'FAIL');
});

test('LTP: a run cut inside a test block is reported as a problem', () => {
  const cut = sample('ltp-runltp.log').split('tst_test.c:1236: TCONF')[0]!;
  const result = parseWorkloadOutput('ltp', { stdout: cut, exitCode: 1, name: 'syscalls' });
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]!, /stops inside test/);
});

test('JUnit: failure is FAIL, error is ERROR, skipped is SKIP, suite names make the path', () => {
  const result = parseWorkloadOutput('junit', { stdout: '', exitCode: 1, name: 'nf', junitXml: sample('junit.xml') });
  assert.deepEqual(result.cases, [
    { name: 'netfilter.test_queue_bypass', status: 'PASS', durationMs: 412 },
    { name: 'netfilter.test_queue_fanout', status: 'FAIL', durationMs: 1020 },
    { name: 'netfilter.test_zone_clash', status: 'SKIP', durationMs: 2 },
    { name: 'netfilter.test_helper_expect', status: 'ERROR', durationMs: 1080 },
  ]);
  assert.equal(result.status, 'FAIL');
});

test('JUnit: a missing or malformed report is an ERROR that says why', () => {
  const missing = parseWorkloadOutput('junit', { stdout: '', exitCode: 0, name: 'nf' });
  assert.equal(missing.status, 'ERROR');
  assert.match(missing.problems[0]!, /no JUnit report/);
  const broken = parseWorkloadOutput('junit', { stdout: '', exitCode: 0, name: 'nf', junitXml: '<testsuite><testcase name="a">' });
  assert.equal(broken.status, 'ERROR');
  assert.match(broken.problems[0]!, /not well-formed XML/);
});

test('TAP: subtests as dotted paths, diagnostics ignored, SKIP directive', () => {
  const result = parseWorkloadOutput('tap', { stdout: sample('tap-node.tap'), exitCode: 1, name: 'unit' });
  assert.deepEqual(byName(result), new Map([
    ['string_helpers.trims', 'PASS'], ['string_helpers.pads', 'PASS'], ['overflow_check', 'FAIL'], ['slow_path', 'SKIP'],
  ]));
  assert.equal(result.status, 'FAIL');
});

test('exit-code: zero passes, anything else fails, named for the workload', () => {
  assert.deepEqual(parseWorkloadOutput('exit-code', { stdout: '', exitCode: 0, name: 'boot smoke' }).cases, [{ name: 'boot_smoke', status: 'PASS' }]);
  assert.equal(parseWorkloadOutput('exit-code', { stdout: '', exitCode: 2, name: 'smoke' }).status, 'FAIL');
});

test('a runner that exits non-zero after reporting only passes is doubtful: ERROR', () => {
  const result = parseWorkloadOutput('tap', { stdout: '1..1\nok 1 a\n', exitCode: 139, name: 't' });
  assert.equal(result.status, 'ERROR');
  assert.match(result.problems[0]!, /exited with status 139/);
});
