// Several git steps of a job as one process: a fixed bash script runs the steps given as its
// arguments in order and reports each one's exit status and output, so a stage's git steps start
// one sandbox, not one per step. Pure: the script, its arguments and the reading of its report.
import { DarkroomError } from '../../shared/errors.js';

/**
 * When a step runs. `required`: while no required step has failed, and its failure stops the
 * rest; `optional`: while no required step has failed, its failure ignored; `on-failure`: only
 * once a required step has failed (to undo what it left, as `git am --abort`).
 */
export type GitStepKind = 'required' | 'optional' | 'on-failure';

export interface GitStep {
  /** git's arguments, after the options every step gets. */
  args: readonly string[];
  kind: GitStepKind;
}

/** What one step that ran did. */
export interface GitStepResult {
  /** The step's place in the list given to the script. */
  index: number;
  exitCode: number;
  /** Its standard output and error together, the trailing newlines dropped. */
  output: string;
}

export type GitReportErrorCode = 'GIT_REPORT_MALFORMED';

/** The script's report could not be read: the script did not run to its end. */
export class GitReportError extends DarkroomError<GitReportErrorCode> {}

/**
 * The script. Its arguments are the steps, each `KIND COUNT ARG…`; for each step it runs, it
 * prints `INDEX EXIT BYTES`, a newline, the step's output (BYTES bytes, counted in the C locale)
 * and a newline. The output is captured, so nothing git prints can pass for a report line.
 */
export const GIT_SCRIPT = [
  'export LC_ALL=C',
  'failed=0 index=0',
  'while [ "$#" -gt 0 ]; do',
  '  kind=$1 count=$2',
  '  shift 2',
  '  if { [ "$kind" = on-failure ] && [ "$failed" = 1 ]; } || { [ "$kind" != on-failure ] && [ "$failed" = 0 ]; }; then',
  '    output=$(git "${@:1:$count}" 2>&1 < /dev/null)',
  '    code=$?',
  '    printf \'%d %d %d\\n%s\\n\' "$index" "$code" "${#output}" "$output"',
  '    if [ "$code" != 0 ] && [ "$kind" = required ]; then failed=1; fi',
  '  fi',
  '  shift "$count"',
  '  index=$((index + 1))',
  'done',
].join('\n');

/** The script's arguments for `steps`, each step's arguments after `common` (the options every step gets). */
export function gitScriptArgs(steps: readonly GitStep[], common: readonly string[] = []): string[] {
  return steps.flatMap((step) => [step.kind, String(common.length + step.args.length), ...common, ...step.args]);
}

/** The program and arguments that run `steps` in the script: `bash -c SCRIPT bash ARG…`. */
export function gitScriptCommand(steps: readonly GitStep[], common: readonly string[] = []): string[] {
  return ['bash', '-c', GIT_SCRIPT, 'bash', ...gitScriptArgs(steps, common)];
}

const HEADER = /^(\d+) (\d+) (\d+)$/;

/**
 * The results of the steps that ran, from the script's standard output. Throws GitReportError
 * when the report is cut short or is not one the script writes (index past the steps, out of order).
 */
export function parseGitReport(report: Uint8Array, stepCount: number): GitStepResult[] {
  const bytes = Buffer.from(report.buffer, report.byteOffset, report.byteLength);
  const results: GitStepResult[] = [];
  let at = 0;
  while (at < bytes.length) {
    const newline = bytes.indexOf(0x0a, at);
    const header = newline < 0 ? null : HEADER.exec(bytes.toString('latin1', at, newline));
    if (!header) throw new GitReportError('GIT_REPORT_MALFORMED', `Git step report is malformed at byte ${at}: expected 'INDEX EXIT BYTES'`);
    const [index, exitCode, length] = [Number(header[1]), Number(header[2]), Number(header[3])];
    const previous = results.at(-1)?.index ?? -1;
    if (index >= stepCount || index <= previous) throw new GitReportError('GIT_REPORT_MALFORMED', `Git step report names step ${index} after step ${previous} of ${stepCount}`);
    const end = newline + 1 + length;
    if (end >= bytes.length || bytes[end] !== 0x0a) throw new GitReportError('GIT_REPORT_MALFORMED', `Git step report is cut short in the output of step ${index}`);
    results.push({ index, exitCode, output: bytes.toString('utf8', newline + 1, end) });
    at = end + 1;
  }
  return results;
}
