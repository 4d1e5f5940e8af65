// The `ltp` format: LTP run by runltp (its test blocks and results table), by kirk, or one test.
import { rollUp, type Status } from '../../shared/status.js';
import { segment } from './names.js';
import { parsed, type CaseResult, type ParsedWorkload } from './types.js';

/**
 * The result words of LTP's test library. TBROK (the test could not set up or run) and TWARN (it
 * ran but left something wrong, e.g. cleanup failed) say nothing about the kernel under test:
 * ERROR. TCONF (not applicable to this kernel or machine) is SKIP.
 */
const RESULT_WORDS: Record<string, Status> = { TPASS: 'PASS', TFAIL: 'FAIL', TBROK: 'ERROR', TWARN: 'ERROR', TCONF: 'SKIP' };
const RESULT_LINE = /^(?:\S+?:\d+:\s+)?(TPASS|TFAIL|TBROK|TWARN|TCONF)\b/;
/** runltp's results file: `abort01   PASS   0` (CONF for TCONF, BROK and WARN in newer runltp). */
const TABLE_LINE = /^(\S+)\s+(PASS|FAIL|CONF|BROK|WARN)\s+(-?\d+)\s*$/;
const TABLE_WORDS: Record<string, Status> = { PASS: 'PASS', FAIL: 'FAIL', CONF: 'SKIP', BROK: 'ERROR', WARN: 'ERROR' };
/** kirk's console report: `abort01: pass  (0.014s)`. */
const KIRK_LINE = /^(\S+):\s+(pass|fail|broken|skip|warning|warn|conf)\s+\((\d+(?:\.\d+)?)s\)\s*$/;
const KIRK_WORDS: Record<string, Status> = { pass: 'PASS', fail: 'FAIL', broken: 'ERROR', skip: 'SKIP', conf: 'SKIP', warning: 'ERROR', warn: 'ERROR' };
/** runltp's summary of its results file, checked against the rows found. */
const TOTAL_LINE = /^Total Tests:\s*(\d+)\s*$/;
/** The bits of an LTP test's exit status (tst_res.h): TFAIL 1, TBROK 2, TWARN 4, TCONF 32. */
const EXIT_FAIL = 1;
const EXIT_BROK = 2;
const EXIT_WARN = 4;
const EXIT_CONF = 32;

/** The verdict an LTP exit status encodes, for a test whose output carried no result lines. */
export function ltpExitStatus(code: number): Status {
  if (code === 0) return 'PASS';
  if (code & EXIT_FAIL) return 'FAIL';
  if (code & (EXIT_BROK | EXIT_WARN)) return 'ERROR';
  if (code === EXIT_CONF) return 'SKIP';
  return 'FAIL';
}

function resultsIn(lines: readonly string[]): Status[] {
  const found: Status[] = [];
  for (const line of lines) {
    const word = RESULT_LINE.exec(line.trim())?.[1];
    if (word) found.push(RESULT_WORDS[word]!);
  }
  return found;
}

/** One `<<<test_start>>>` … `<<<test_end>>>` block of runltp's output. */
function blockCase(lines: readonly string[]): CaseResult | undefined {
  const tag = lines.map((line) => /^tag=(\S+)/.exec(line)?.[1]).find((value) => value !== undefined);
  if (!tag) return undefined;
  const outputStart = lines.findIndex((line) => line.startsWith('<<<test_output>>>'));
  const statusStart = lines.findIndex((line) => line.startsWith('<<<execution_status>>>'));
  const output = outputStart < 0 ? [] : lines.slice(outputStart + 1, statusStart < 0 ? undefined : statusStart);
  const execution = statusStart < 0 ? '' : lines.slice(statusStart).join('\n');
  const results = resultsIn(output);
  const termination = /termination_type=(\S+)\s+termination_id=(-?\d+)/.exec(execution);
  const duration = /duration=(\d+(?:\.\d+)?)/.exec(execution);
  let status: Status;
  if (statusStart < 0) status = 'ERROR';
  else if (termination && termination[1] !== 'exited') status = 'FAIL';
  else if (results.length > 0) status = rollUp(results);
  else status = ltpExitStatus(Number(termination?.[2] ?? 0));
  const name = segment(tag);
  return duration ? { name, status, durationMs: Math.round(Number(duration[1]) * 1000) } : { name, status };
}

function runltpBlocks(lines: readonly string[], problems: string[]): CaseResult[] {
  const cases: CaseResult[] = [];
  let block: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith('<<<test_start>>>')) block = [];
    else if (line.startsWith('<<<test_end>>>') && block) {
      const item = blockCase(block);
      if (item) cases.push(item);
      block = undefined;
    } else block?.push(line);
  }
  const unfinished = block && blockCase(block);
  if (unfinished) {
    problems.push(`The LTP output stops inside test ${unfinished.name}: the run was cut short`);
    cases.push(unfinished);
  }
  return cases;
}

function tableRows(lines: readonly string[], problems: string[]): CaseResult[] {
  const cases: CaseResult[] = [];
  let total: number | undefined;
  for (const line of lines) {
    const row = TABLE_LINE.exec(line.trim());
    if (row) cases.push({ name: segment(row[1]!), status: TABLE_WORDS[row[2]!]! });
    const kirk = KIRK_LINE.exec(line.trim());
    if (kirk) cases.push({ name: segment(kirk[1]!), status: KIRK_WORDS[kirk[2]!]!, durationMs: Math.round(Number(kirk[3]) * 1000) });
    const totals = TOTAL_LINE.exec(line.trim());
    if (totals) total = Number(totals[1]);
  }
  if (total !== undefined && total !== cases.length) problems.push(`The LTP summary counts ${total} tests but ${cases.length} results were found`);
  return cases;
}

/** A single LTP test run directly: its result lines make one case, named for the workload. */
function singleTest(lines: readonly string[], workload: string, exitCode: number): CaseResult[] {
  const results = resultsIn(lines);
  if (results.length === 0) return [];
  const status = rollUp(results);
  return [{ name: segment(workload), status: exitCode === 0 || status !== 'PASS' ? status : ltpExitStatus(exitCode) }];
}

export function parseLtp(text: string, options: { workload: string; exitCode: number }): ParsedWorkload {
  const lines = text.split(/\r?\n/);
  const problems: string[] = [];
  const blocks = runltpBlocks(lines, problems);
  if (blocks.length > 0) return parsed(blocks, problems);
  const rows = tableRows(lines, problems);
  if (rows.length > 0) return parsed(rows, problems);
  const single = singleTest(lines, options.workload, options.exitCode);
  if (single.length > 0) return parsed(single, problems);
  return parsed([], ['No LTP results were found: no runltp test blocks, results table, kirk report or TPASS/TFAIL lines']);
}
