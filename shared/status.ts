// The KCIDB status vocabulary (kcidb-io schema v5): one verdict word per stage, case and report.
import { darkroom } from '../proto/darkroom.js';
import { DarkroomError } from './errors.js';

/**
 * - FAIL: the test completed and found the code under test faulty.
 * - ERROR: the test or its tooling broke; the code under test is not judged.
 * - MISS: never ran because the harness failed (lost agent, queue time-out).
 * - PASS: the test completed and found the code correct.
 * - DONE: completed without a verdict (a measurement).
 * - SKIP: deliberately not run (not applicable, or an earlier stage failed).
 *
 * An infrastructure fault is ERROR or MISS, never FAIL: FAIL blames the patches.
 */
export type Status = 'PASS' | 'FAIL' | 'ERROR' | 'MISS' | 'SKIP' | 'DONE';

/** Highest priority first, as KCIDB lists them; a roll-up is the highest status present. */
export const STATUS_PRECEDENCE: readonly Status[] = ['FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP'];

export type StatusErrorCode = 'STATUS_UNKNOWN';

export class StatusError extends DarkroomError<StatusErrorCode> {}

const RANK = new Map<Status, number>(STATUS_PRECEDENCE.map((status, index) => [status, STATUS_PRECEDENCE.length - index]));

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && RANK.has(value as Status);
}

/** True when `a` outranks `b` in a roll-up. */
export function outranks(a: Status, b: Status): boolean {
  return RANK.get(a)! > RANK.get(b)!;
}

/**
 * The summary of a collection: its highest-priority status. An empty collection rolls up to SKIP,
 * the lowest status, so adding nothing never changes a verdict and nothing run is not a PASS.
 */
export function rollUp(statuses: Iterable<Status>): Status {
  let top: Status = 'SKIP';
  for (const status of statuses) if (outranks(status, top)) top = status;
  return top;
}

const TO_PROTO: Record<Status, darkroom.v1.Status> = {
  PASS: darkroom.v1.Status.PASS,
  FAIL: darkroom.v1.Status.FAIL,
  ERROR: darkroom.v1.Status.ERROR,
  MISS: darkroom.v1.Status.MISS,
  SKIP: darkroom.v1.Status.SKIP,
  DONE: darkroom.v1.Status.DONE,
};

const FROM_PROTO = new Map<number, Status>(Object.entries(TO_PROTO).map(([name, value]) => [value, name as Status]));

export function statusToProto(status: Status): darkroom.v1.Status {
  return TO_PROTO[status];
}

/** The status of a wire enum value; STATUS_UNSPECIFIED or an unknown number is refused. */
export function statusFromProto(value: darkroom.v1.Status | number): Status {
  const status = FROM_PROTO.get(value);
  if (!status) {
    throw new StatusError('STATUS_UNKNOWN', `Status value ${value} is not one of PASS, FAIL, ERROR, MISS, SKIP, DONE: the peer sent an unset or newer status`);
  }
  return status;
}
