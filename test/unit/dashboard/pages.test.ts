import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { generateIdentity } from '../../../shared/identity.js';
import { signResult } from '../../../shared/result.js';
import { reportToJson } from '../../../maintainer/render/report-json.js';
import type { VerifiedResult } from '../../../maintainer/trailers.js';
import { bundleView, classifyCase, type BundleData } from '../../../maintainer/dashboard/bundle-view.js';
import { parseFilters } from '../../../maintainer/dashboard/filters.js';
import { jobView } from '../../../maintainer/dashboard/job-view.js';
import { bundlePage } from '../../../maintainer/dashboard/pages/bundle.js';
import { barLine, embargoesPage } from '../../../maintainer/dashboard/pages/embargoes.js';
import { jobPage } from '../../../maintainer/dashboard/pages/job.js';
import { trailersPage } from '../../../maintainer/dashboard/pages/trailers.js';

const HOSTILE = '<script>window.pwned=1</script>';
const S = darkroom.v1.Status;
const BUNDLE = 'b'.repeat(32);

function verified(agent: string, hardwareClass: string, caseName: string): VerifiedResult {
  const identity = generateIdentity();
  const parts = signResult({
    jobId: `job-${agent}`, attempt: 1, bundleId: BUNDLE, agentName: agent, tree: 'ringbuf', hardwareClass, status: S.FAIL, startedAtMs: 1_000, finishedAtMs: 9_000,
    stages: [
      { name: 'apply', status: S.PASS, durationMs: 20 },
      { name: 'build', status: S.PASS, durationMs: 4_000 },
      { name: 'workload:unit', status: S.FAIL, durationMs: 1_500, cases: [{ name: caseName, status: S.FAIL, baseStatus: 'FAIL' }, { name: 'fixed_one', status: S.PASS, baseStatus: 'FAIL' }] },
    ],
  }, identity);
  return { parts, agent, contact: `${agent} <${agent}@example.org>`, fingerprint: 'DR1:TEST', boxKey: identity.boxKey };
}

function data(caseName: string): BundleData {
  const report = reportToJson({
    bundleId: BUNDLE, embargo: 'CVE-1', columns: ['apply', 'build', 'workload:unit', 'workload:stress'], complete: false, status: S.FAIL,
    rows: [
      { hardwareClass: 'aarch64/Ampere/Altra', agents: 1, cells: [{ column: 'apply', counts: { pass: 1 } }, { column: 'workload:unit', counts: { fail: 1 } }] },
      { hardwareClass: 'x86_64/Intel/Xeon', agents: 1, cells: [{ column: 'apply', counts: { running: 1 } }] },
    ],
    failures: [{ hardwareClass: 'aarch64/Ampere/Altra', agent: 'lab-arm', column: 'workload:unit', caseName, status: S.FAIL, baseStatus: 'FAIL' }],
    barVerdictJson: JSON.stringify({ verdict: 'pending', missing: ['boot: 1 more hardware class'], classification: { fixedCases: ['fixed_one'] } }),
  });
  const status: darkroom.v1.BundleStatus.$Properties = {
    bundleId: BUNDLE, embargo: 'CVE-1',
    jobs: [
      { jobId: 'job-lab-arm', agent: 'lab-arm', hardwareClass: 'aarch64/Ampere/Altra', tree: 'ringbuf', state: 'done' },
      { jobId: 'job-lab-x86', agent: 'lab-x86', hardwareClass: 'x86_64/Intel/Xeon', tree: 'ringbuf', state: 'running', stages: [{ name: 'build', running: true }] },
    ],
  };
  return { report, status, results: [verified('lab-arm', 'aarch64/Ampere/Altra', caseName)], refused: [] };
}

test('a case is a regression, pre-existing, a new case or fixed by how it fared on the base', () => {
  assert.equal(classifyCase('FAIL', 'PASS'), 'regression');
  assert.equal(classifyCase('FAIL', 'FAIL'), 'pre-existing');
  assert.equal(classifyCase('FAIL', null), 'new case');
  assert.equal(classifyCase('PASS', 'FAIL'), 'fixed');
  assert.equal(classifyCase('PASS', 'PASS'), null);
  assert.equal(classifyCase('ERROR', 'PASS'), null);
});

test('the bundle page shows the matrix, the failing case as pre-existing with its job, durations, the fixed case and who has not answered', () => {
  const view = bundleView(data('holds_one_page'), {});
  assert.deepEqual(view.rows.map((row) => row.hardwareClass), ['aarch64/Ampere/Altra', 'x86_64/Intel/Xeon']);
  assert.equal(view.rows[0]!.cells.find((cell) => cell.column === 'workload:unit')!.status, 'FAIL');
  assert.deepEqual(view.failures.map((f) => [f.case, f.caseClass, f.jobId]), [['holds_one_page', 'pre-existing', 'job-lab-arm']]);
  assert.deepEqual(view.fixed, ['fixed_one']);
  assert.deepEqual(view.jobs.map((job) => [job.agent, job.durations.build, job.totalMs]), [['lab-arm', 4_000, 8_000]]);
  assert.deepEqual(view.waiting.map((job) => [job.agent, job.running]), [['lab-x86', ['build']]]);
  const page = String(bundlePage(view, { filters: {}, who: 'alice' }));
  assert.match(page, /<th scope="row" class="hw">aarch64\/Ampere\/Altra<\/th>/);
  assert.match(page, /<code>holds_one_page<\/code>.*pre-existing/s);
  assert.match(page, /href="\/bundle\/b{32}\/job\/job-lab-arm"/);
  assert.match(page, /missing: boot: 1 more hardware class/);
  assert.doesNotMatch(page, /<script>(?!<\/script>)/, 'no inline script');
});

test('filters from the URL narrow the bundle page and unknown values are dropped', () => {
  assert.deepEqual(parseFilters({ status: 'fail', class: 'x86_64/Intel/Xeon', workload: 'unit', tree: '' }), { status: 'FAIL', hardwareClass: 'x86_64/Intel/Xeon', workload: 'unit' });
  assert.deepEqual(parseFilters({ status: 'BROKEN', class: 'x'.repeat(500) }), {});
  const byClass = bundleView(data('holds_one_page'), { hardwareClass: 'x86_64/Intel/Xeon' });
  assert.deepEqual(byClass.rows.map((row) => row.hardwareClass), ['x86_64/Intel/Xeon']);
  assert.equal(byClass.failures.length, 0);
  const byWorkload = bundleView(data('holds_one_page'), { workload: 'stress' });
  assert.deepEqual(byWorkload.columns, ['apply', 'build', 'workload:stress']);
  assert.equal(byWorkload.failures.length, 0);
  const byStatus = bundleView(data('holds_one_page'), { status: 'FAIL' });
  assert.deepEqual(byStatus.rows.map((row) => row.hardwareClass), ['aarch64/Ampere/Altra']);
  assert.equal(byStatus.waiting.length, 0);
  const page = String(bundlePage(byStatus, { filters: { status: 'FAIL' }, who: 'alice' }));
  assert.match(page, /data-fragment="\/bundle\/b{32}\/fragment\?status=FAIL"/, 'the live part reloads with the same filters');
  assert.match(page, /<option value="FAIL" selected>/);
});

test('decrypted text holding markup is escaped on every page: case names, log lines, trailers, names', () => {
  const view = bundleView(data(HOSTILE), {});
  const bundle = String(bundlePage(view, { filters: {}, who: HOSTILE }));
  assert.ok(!bundle.includes(HOSTILE));
  assert.ok(bundle.includes('&lt;script&gt;window.pwned=1&lt;/script&gt;'));

  const job = jobView({ bundleId: BUNDLE, jobId: 'job-lab-arm', result: verified('lab-arm', 'aarch64', HOSTILE), logs: [{ jobId: 'job-lab-arm', agent: 'lab-arm', attempt: 1, files: [{ name: 'workload_unit.log', content: Buffer.from(`TAP version 13\nnot ok 1 - ${HOSTILE}\n"quoted" & 'single'\n`) }] }] });
  assert.deepEqual(job.logs[0]!.lines, ['TAP version 13', `not ok 1 - ${HOSTILE}`, `"quoted" & 'single'`]);
  const jobHtml = String(jobPage(job, { who: 'alice', embargo: HOSTILE }));
  assert.ok(!jobHtml.includes(HOSTILE));
  assert.match(jobHtml, /id="f0-L2"><a class="ln" href="#f0-L2">2<\/a>not ok 1 - &lt;script&gt;/);
  assert.match(jobHtml, /&quot;quoted&quot; &amp; &#39;single&#39;/);
  assert.match(jobHtml, /class="line notable" id="f0-L2"/);

  const trailers = String(trailersPage({ bundleId: BUNDLE, embargo: 'CVE-1', trailers: [{ testedBy: `Tested-by: ${HOSTILE}`, references: [] }], refused: [HOSTILE] }, { who: 'alice' }));
  assert.ok(!trailers.includes(HOSTILE));

  const embargoes = String(embargoesPage([{ name: 'CVE-1', state: 'active', untilMs: 0, testers: '@demo', maintainers: 'alice', agents: [{ name: HOSTILE, hardwareClass: HOSTILE }], members: [], bundles: [{ bundleId: BUNDLE, submitter: HOSTILE, trees: [HOSTILE] }] }], { who: 'alice' }));
  assert.ok(!embargoes.includes(HOSTILE));
});

test('the bar reads in one line', () => {
  assert.equal(barLine(JSON.stringify({ format: 1, bootClasses: 3, workloads: [{ name: 'unit', unit: 'classes', need: 2 }], noNewFailures: true, deadlineMs: null })), 'boot on 3 classes · unit on 2 classes · no new failures');
  assert.equal(barLine(''), 'no bar');
});
