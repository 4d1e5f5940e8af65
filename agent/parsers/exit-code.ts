// The `exit-code` format: the workload is one case, and its exit status is the verdict.
import { segment } from './names.js';
import { parsed, type ParsedWorkload } from './types.js';

/**
 * 0 is PASS and anything else FAIL, including death by a signal the agent did not send. The caller
 * decides first whether the run says anything about the code: a time-out, a missing command
 * (bash's 126/127) or a failed spawn is an ERROR it reports itself, without calling this.
 */
export function parseExitCode(workload: string, exitCode: number | null): ParsedWorkload {
  return parsed([{ name: segment(workload), status: exitCode === 0 ? 'PASS' : 'FAIL' }], []);
}
