// Stage names and the verdict helpers the pipeline shares.
import type { darkroom } from '../../proto/darkroom.js';
import { statusToProto, type Status } from '../../shared/status.js';
import type { CaseResult } from '../parsers/index.js';
import type { RunResult } from '../process/index.js';

export const APPLY = 'apply';
export const BUILD = 'build';
export const BOOT = 'boot';
export const workloadStage = (name: string) => `workload:${name}`;

export type StageInit = darkroom.v1.StageResult.$Properties;

/**
 * Output that shows the agent's machine failed, not the code: the disk filled up, or make could
 * not run a tool (GNU make reports a failed exec as Error 127, as bash does a missing command).
 */
const INFRA_OUTPUT: ReadonlyArray<[RegExp, string]> = [
  [/No space left on device/, 'the agent ran out of disk space (ENOSPC); free space on the agent'],
  [/make(?:\[\d+\])?: \*\*\* .*Error 127\b/, 'a tool the build runs was not found (make: Error 127); install it on the agent'],
];

export function stage(name: string, status: Status, durationMs: number, reason = '', cases: readonly CaseResult[] = []): StageInit {
  return {
    name, status: statusToProto(status), durationMs: Math.round(durationMs), reason,
    cases: cases.map((item) => ({ name: item.name, status: statusToProto(item.status), durationMs: item.durationMs ?? 0 })),
  };
}

/**
 * The verdict of a command the code under test is judged by. A missing tool, a full disk or a
 * command that could not start says nothing about the series: ERROR. `timeoutStatus` is what a
 * time-out means for this stage (a workload that hangs is the series' fault; a build that
 * outlives its time-out says more about the machine).
 */
export function commandVerdict(run: RunResult, timeoutStatus: Status): { status: Status; reason: string } {
  if (run.spawnError) return { status: 'ERROR', reason: `could not start: ${run.spawnError}` };
  if (run.commandNotFound) return { status: 'ERROR', reason: `a command was not found or not executable (exit ${run.exitCode}); check the tools on the agent` };
  if (run.cancelled) return { status: 'ERROR', reason: `cancelled: ${run.cancelReason ?? 'by the agent'}` };
  if (run.timedOut) return { status: timeoutStatus, reason: `timed out after ${Math.round(run.durationMs / 1000)} s; its process tree was killed` };
  if (run.exitCode === 0) return { status: 'PASS', reason: '' };
  const infra = INFRA_OUTPUT.find(([pattern]) => pattern.test(run.outputTail));
  if (infra) return { status: 'ERROR', reason: infra[1] };
  return { status: 'FAIL', reason: run.signal ? `killed by ${run.signal}` : `exit status ${run.exitCode}` };
}
