// The lines the guest's init prints on the console so the agent can tell where each workload's
// output starts and ends. A fresh nonce per boot keeps a workload from forging them by accident.
import { randomBytes } from 'node:crypto';

const PREFIX = 'DARKROOM';

export const newNonce = (): string => randomBytes(8).toString('hex');

export const bootedMarker = (nonce: string) => `${PREFIX}:${nonce}:booted`;
export const doneMarker = (nonce: string) => `${PREFIX}:${nonce}:done`;
export const startMarker = (nonce: string, name: string) => `${PREFIX}:${nonce}:start:${name}`;
/** The end marker as the init script prints it: the exit status is filled in by the shell. */
export const endMarkerPrefix = (nonce: string, name: string) => `${PREFIX}:${nonce}:end:${name}:`;
/**
 * What the init script appends to the start marker and after the end marker's exit status: the
 * guest's uptime in seconds (empty when /proc is not mounted), so a workload's time is known.
 */
export const UPTIME_SUFFIX = ':$(cut -d" " -f1 /proc/uptime 2>/dev/null)';

export type Marker =
  | { kind: 'booted' }
  | { kind: 'done' }
  | { kind: 'start'; name: string; uptimeS?: number }
  | { kind: 'end'; name: string; exitCode: number; uptimeS?: number };

const uptime = (text: string | undefined) => (text ? { uptimeS: Number(text) } : {});

/** The marker in a console line, if any; it may follow kernel output on the same line. */
export function findMarker(line: string, nonce: string): Marker | undefined {
  const at = line.indexOf(`${PREFIX}:${nonce}:`);
  if (at < 0) return undefined;
  const rest = line.slice(at + PREFIX.length + nonce.length + 2).trimEnd();
  if (rest === 'booted') return { kind: 'booted' };
  if (rest === 'done') return { kind: 'done' };
  const start = /^start:([A-Za-z0-9._-]+)(?::(\d+(?:\.\d+)?)?)?$/.exec(rest);
  if (start) return { kind: 'start', name: start[1]!, ...uptime(start[2]) };
  const end = /^end:([A-Za-z0-9._-]+):(\d+)(?::(\d+(?:\.\d+)?)?)?$/.exec(rest);
  if (end) return { kind: 'end', name: end[1]!, exitCode: Number(end[2]), ...uptime(end[3]) };
  return undefined;
}
