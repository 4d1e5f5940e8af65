// The dashboard's bundle page for a 1,000-agent bundle beside `report --json` on the same data in
// the same run: the page must render in at most 1 s and its first response weigh at most 500 KiB.
import { darkroom } from '../proto/darkroom.js';
import { aggregate, reportToProto, type JobOutcome } from '../coordinator/report/index.js';
import { generateIdentity } from '../shared/identity.js';
import { signResult } from '../shared/result.js';
import { statusToProto, type Status } from '../shared/status.js';
import { bundleView, type BundleData } from '../maintainer/dashboard/bundle-view.js';
import { bundlePage } from '../maintainer/dashboard/pages/bundle.js';
import { reportToJson } from '../maintainer/render/report-json.js';
import type { VerifiedResult } from '../maintainer/trailers.js';
import { round, seconds } from './measure.js';

const AGENTS = 1_000;
const CLASSES = 40;
const CASES_PER_WORKLOAD = 20;
const ROUNDS = 5;
const BUNDLE = 'f'.repeat(32);
/** The goals of issue 15. */
export const PAGE_GOAL_MS = 1_000;
export const PAGE_GOAL_KIB = 500;

function stagesOf(agent: number): Array<{ name: string; status: Status; baseStatus: Status | null; cases: Array<{ name: string; status: Status; baseStatus: Status }> }> {
  const workloads = ['unit', 'stress'].map((name) => {
    const cases = Array.from({ length: CASES_PER_WORKLOAD }, (_, index) => {
      const failing = (agent + index) % 97 === 0;
      return { name: `${name}.case_${index}`, status: (failing ? 'FAIL' : 'PASS') as Status, baseStatus: (failing && index % 2 === 0 ? 'FAIL' : 'PASS') as Status };
    });
    return { name: `workload:${name}`, status: (cases.some((c) => c.status === 'FAIL') ? 'FAIL' : 'PASS') as Status, baseStatus: 'PASS' as Status, cases };
  });
  return [...['apply', 'build', 'boot'].map((name) => ({ name, status: 'PASS' as Status, baseStatus: null, cases: [] })), ...workloads];
}

/** What the maintainer client holds for the bundle: the report (as `report --json` gets it), status and verified results. */
function fixture(): { report: darkroom.v1.Report; data: Omit<BundleData, 'report'> } {
  const identity = generateIdentity();
  const outcomes: JobOutcome[] = [];
  const results: VerifiedResult[] = [];
  const jobs: darkroom.v1.JobView.$Properties[] = [];
  for (let agent = 0; agent < AGENTS; agent++) {
    const name = `lab-${String(agent).padStart(4, '0')}`;
    const hardwareClass = `x86_64/Vendor/Model-${agent % CLASSES}`;
    const stages = stagesOf(agent);
    outcomes.push({ agent: name, hardwareClass, tree: 'linux-6.1.y', state: 'done', stages });
    const parts = signResult({
      jobId: `job-${agent}`, attempt: 1, bundleId: BUNDLE, agentName: name, tree: 'linux-6.1.y', hardwareClass, startedAtMs: 0, finishedAtMs: 600_000,
      status: statusToProto(stages.some((stage) => stage.status === 'FAIL') ? 'FAIL' : 'PASS'),
      stages: stages.map((stage, index) => ({ name: stage.name, status: statusToProto(stage.status), durationMs: 1_000 * (index + 1), cases: stage.cases.map((c) => ({ name: c.name, status: statusToProto(c.status), baseStatus: c.baseStatus })) })),
    }, identity);
    results.push({ parts, agent: name, contact: `${name} <${name}@example.org>`, fingerprint: 'DR1:BENCH', boxKey: identity.boxKey });
    jobs.push({ jobId: `job-${agent}`, agent: name, hardwareClass, tree: 'linux-6.1.y', state: 'done', attempt: 1 });
  }
  const report = reportToProto(aggregate(outcomes), { bundleId: BUNDLE, embargo: 'CVE-BENCH', barVerdictJson: JSON.stringify({ verdict: 'failed', missing: [], broken: [] }) });
  const decoded = darkroom.v1.Report.decode(darkroom.v1.Report.encode(report).finish());
  return { report: decoded, data: { status: { bundleId: BUNDLE, embargo: 'CVE-BENCH', jobs, complete: true }, results, refused: [] } };
}

export async function benchDashboard(): Promise<Record<string, unknown>> {
  const { report, data } = fixture();
  let json = '';
  const jsonSeconds = await seconds(() => {
    for (let round_ = 0; round_ < ROUNDS; round_++) json = JSON.stringify(reportToJson(report), null, 2);
  });
  let page = '';
  const pageSeconds = await seconds(() => {
    for (let round_ = 0; round_ < ROUNDS; round_++) page = String(bundlePage(bundleView({ ...data, report: reportToJson(report) }, {}), { filters: {}, who: 'bench' }));
  });
  const pageMs = (pageSeconds / ROUNDS) * 1000;
  const pageKiB = Buffer.byteLength(page) / 1024;
  return {
    name: `dashboard bundle page of a ${AGENTS}-agent bundle (${CLASSES} classes, ${report.failures.length} failing cases), beside report --json on the same data`,
    page_ms: round(pageMs, 1),
    page_kib: round(pageKiB, 1),
    report_json_ms: round((jsonSeconds / ROUNDS) * 1000, 1),
    report_json_kib: round(Buffer.byteLength(json) / 1024, 1),
    page_ratio_to_report_json_time: round(pageSeconds / jsonSeconds, 2),
    page_ratio_to_report_json_size: round(Buffer.byteLength(page) / Buffer.byteLength(json), 2),
    within_goals: pageMs <= PAGE_GOAL_MS && pageKiB <= PAGE_GOAL_KIB,
  };
}
