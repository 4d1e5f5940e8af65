// Judging a bundle's quality bar beside building its report, on the same 1,000 jobs with 40 cases
// each in the same run: the bar is re-judged on every result, so it must cost about what a report does.
import { evaluateBar, type BarJob } from '../coordinator/bar/evaluate.js';
import type { QualityBar } from '../coordinator/bar/format.js';
import { aggregate, type JobOutcome } from '../coordinator/report/index.js';
import type { Status } from '../shared/status.js';
import { round, seconds } from './measure.js';

const JOBS = 1_000;
const CASES_PER_WORKLOAD = 20;
const ROUNDS = 50;
const BAR: QualityBar = { format: 1, buildClasses: null, bootClasses: 10, workloads: [{ name: 'unit', unit: 'classes', need: 10 }, { name: 'stress', unit: 'agents', need: 100 }], noNewFailures: true, deadlineMs: null };

function cases(job: number, workload: string): Array<{ name: string; status: Status; baseStatus: Status }> {
  return Array.from({ length: CASES_PER_WORKLOAD }, (_, index) => {
    const failing = (job + index) % 97 === 0;
    return { name: `${workload}.case_${index}`, status: failing ? 'FAIL' : 'PASS', baseStatus: failing ? 'FAIL' : 'PASS' };
  });
}

function fixtures(): { bar: BarJob[]; report: JobOutcome[] } {
  const bar: BarJob[] = [];
  const report: JobOutcome[] = [];
  for (let job = 0; job < JOBS; job++) {
    const workloads = ['unit', 'stress'].map((name) => {
      const list = cases(job, name);
      return { name: `workload:${name}`, status: (list.some((c) => c.status === 'FAIL') ? 'FAIL' : 'PASS') as Status, baseStatus: 'PASS' as Status, cases: list };
    });
    const stages = [...['apply', 'build', 'boot'].map((name) => ({ name, status: 'PASS' as Status, baseStatus: null, cases: [] })), ...workloads];
    const identity = { agent: `agent-${job}`, hardwareClass: `class-${job % 40}` };
    bar.push({ jobId: `job-${job}`, ...identity, tree: 'linux', open: false, result: { resultId: `r-${job}`, receivedAtMs: 0, stages } });
    report.push({ ...identity, tree: 'linux', state: 'done', stages });
  }
  return { bar, report };
}

export async function benchBar(): Promise<Record<string, unknown>> {
  const { bar, report } = fixtures();
  let verdict = '';
  const barSeconds = await seconds(() => {
    for (let round_ = 0; round_ < ROUNDS; round_++) verdict = evaluateBar(BAR, bar, { now: 0 }).verdict;
  });
  const reportSeconds = await seconds(() => {
    for (let round_ = 0; round_ < ROUNDS; round_++) aggregate(report);
  });
  return {
    name: `quality bar of a bundle with ${JOBS} jobs x ${2 * CASES_PER_WORKLOAD} cases, beside its report`,
    verdict,
    bar_ms_per_bundle: round((barSeconds / ROUNDS) * 1000, 2),
    report_ms_per_bundle: round((reportSeconds / ROUNDS) * 1000, 2),
    bar_ratio_to_report: round(barSeconds / reportSeconds, 2),
  };
}
