// Workload output into test cases: one entry point over the declared result formats.
import { parseExitCode } from './exit-code.js';
import { parseJunit } from './junit.js';
import { parseKtap } from './ktap.js';
import { parseLtp } from './ltp.js';
import { parseTap } from './tap.js';
import { parsed, type ParsedWorkload, type WorkloadFormat } from './types.js';

export { WORKLOAD_FORMATS, type CaseResult, type ParsedWorkload, type WorkloadFormat } from './types.js';
export { stripConsolePrefix, consoleLines } from './console.js';

export interface WorkloadOutput {
  /** What the workload printed (stdout and stderr interleaved, or its part of a console). */
  stdout: string;
  exitCode: number;
  /** The workload's declared name: names the case of formats that report one verdict. */
  name: string;
  /** The `junit` format's report, read from the file the workload declared. */
  junitXml?: string;
}

function parseFormat(format: WorkloadFormat, output: WorkloadOutput): ParsedWorkload {
  switch (format) {
    case 'exit-code':
      return parseExitCode(output.name, output.exitCode);
    case 'tap':
      return parseTap(output.stdout);
    case 'ktap':
      return parseKtap(output.stdout);
    case 'ltp':
      return parseLtp(output.stdout, { workload: output.name, exitCode: output.exitCode });
    case 'junit':
      return output.junitXml === undefined ? parsed([], ['The workload wrote no JUnit report where it was declared']) : parseJunit(output.junitXml);
  }
}

/**
 * The workload's cases and verdict. A runner that exits non-zero although every case it reported
 * passed is doubtful (it may have crashed after its last line): ERROR, with the reason in problems.
 */
export function parseWorkloadOutput(format: WorkloadFormat, output: WorkloadOutput): ParsedWorkload {
  const result = parseFormat(format, output);
  if (format === 'exit-code' || output.exitCode === 0 || result.status !== 'PASS') return result;
  return parsed(result.cases, [...result.problems, `The workload exited with status ${output.exitCode} although every case it reported passed`]);
}
