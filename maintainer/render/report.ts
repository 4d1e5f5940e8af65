// Renders a bundle's report as a terminal table: hardware classes by stage, failing cases, summary.
import type { darkroom } from '../../proto/darkroom.js';
import { renderBar } from './bar.js';
import { COUNT_KEYS, REPORT_EXIT, onlyPreExistingFailures, reportExitCode, reportToJson, type CountsJson, type FailureJson, type ReportJson } from './report-json.js';

export { REPORT_EXIT, REPORT_JSON_FORMAT, ReportError, onlyPreExistingFailures, reportExitCode, reportToJson } from './report-json.js';
export type { CellJson, CountsJson, FailureJson, ReportJson, RowJson } from './report-json.js';

/** How each count is marked in a cell, e.g. `3✓ 1✗ 1E 2…` or, in plain ASCII, `3ok 1F 1E 2W`. */
export const CELL_MARKS: Readonly<Record<'unicode' | 'ascii', Record<keyof CountsJson, string>>> = {
  unicode: { pass: '✓', fail: '✗', error: 'E', miss: 'M', skip: 'S', done: 'D', running: '▸', pending: '…' },
  ascii: { pass: 'ok', fail: 'F', error: 'E', miss: 'M', skip: 'S', done: 'D', running: 'R', pending: 'W' },
};

/** What an empty cell (no job reached the stage) shows. */
const EMPTY_CELL = '-';
const COLUMN_GAP = '  ';
const WORKLOAD_PREFIX = 'workload:';

export interface RenderOptions {
  /** Unicode marks; plain ASCII otherwise. See prefersUnicode. */
  unicode: boolean;
}

/** Unicode only on a terminal whose locale is UTF-8; pipes and files get ASCII. */
export function prefersUnicode(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return stream.isTTY === true && /utf-?8/i.test(locale);
}

export function formatCounts(counts: CountsJson, options: RenderOptions): string {
  const marks = CELL_MARKS[options.unicode ? 'unicode' : 'ascii'];
  const parts = COUNT_KEYS.filter((key) => counts[key] > 0).map((key) => `${counts[key]}${marks[key]}`);
  return parts.length === 0 ? EMPTY_CELL : parts.join(' ');
}

/** A column's heading: workloads by their name, stages as they are. */
function heading(column: string): string {
  return column.startsWith(WORKLOAD_PREFIX) ? column.slice(WORKLOAD_PREFIX.length) : column;
}

function plural(count: number, singular: string, many: string): string {
  return `${count} ${count === 1 ? singular : many}`;
}

function table(json: ReportJson, options: RenderOptions): string[] {
  const header = ['hardware class', 'agents', ...json.columns.map(heading)];
  const body = json.rows.map((row) => [row.hardwareClass, String(row.agents), ...row.cells.map((cell) => formatCounts(cell.counts, options))]);
  const widths = header.map((title, index) => Math.max(title.length, ...body.map((cells) => cells[index]!.length)));
  const line = (cells: string[]): string => cells.map((cell, index) => cell.padEnd(widths[index]!)).join(COLUMN_GAP).trimEnd();
  return [line(header), ...body.map(line)];
}

function failureLine(failure: FailureJson): string {
  const base = failure.classification ? ` (${failure.classification}, ${failure.baseStatus} on base)` : failure.baseStatus ? ` (${failure.baseStatus} on base)` : '';
  return `  ${failure.hardwareClass}  ${failure.agent}  ${heading(failure.column)}  ${failure.case}: ${failure.status}${base}`;
}

function legend(options: RenderOptions): string {
  const marks = CELL_MARKS[options.unicode ? 'unicode' : 'ascii'];
  return COUNT_KEYS.map((key) => `${marks[key]} ${key}`).join('  ');
}

const OUTCOME: Record<number, string> = { [REPORT_EXIT.PASSED]: 'PASSED', [REPORT_EXIT.FAILED]: 'FAILED', [REPORT_EXIT.PENDING]: 'PENDING' };
/** The outcome of a FAILED report whose failures all fail on the base too, its bar met. */
export const PRE_EXISTING_OUTCOME = 'PRE-EXISTING FAILURES ONLY, quality bar met';

/**
 * One line: the outcome `darkroom report` exits with (PRE_EXISTING_OUTCOME for a report that
 * failed only on pre-existing failures, exiting 1 all the same), then the non-zero totals.
 */
export function summaryLine(report: darkroom.v1.Report.$Properties): string {
  const json = reportToJson(report);
  const finished = COUNT_KEYS.filter((key) => key !== 'running' && key !== 'pending' && json.totals[key] > 0).map((key) => `${json.totals[key]} ${key}`);
  const agents = json.rows.reduce((sum, row) => sum + row.agents, 0);
  const parts = [
    finished.length > 0 ? finished.join(', ') : 'no results yet',
    `${json.totals.running} running, ${json.totals.pending} pending`,
    `${plural(agents, 'agent', 'agents')} in ${plural(json.rows.length, 'hardware class', 'hardware classes')}`,
  ];
  const outcome = onlyPreExistingFailures(report) ? PRE_EXISTING_OUTCOME : OUTCOME[reportExitCode(report)];
  return `${outcome}: ${parts.join('; ')}`;
}

/** The whole report for a terminal, newline-terminated. */
export function renderReport(report: darkroom.v1.Report.$Properties, options: RenderOptions): string {
  const json = reportToJson(report);
  const dot = options.unicode ? ' · ' : ' - ';
  const lines = [`Bundle ${json.bundleId}${dot}embargo ${json.embargo}${dot}${json.complete ? 'complete' : 'in progress'}`, ''];
  lines.push(...(json.rows.length > 0 ? table(json, options) : ['No jobs yet.']));
  lines.push(legend(options));
  if (json.failures.length > 0) lines.push('', 'Failing cases:', ...json.failures.map(failureLine));
  if (json.bar !== null) lines.push('', ...renderBar(json.bar));
  lines.push('', summaryLine(report));
  return `${lines.join('\n')}\n`;
}
