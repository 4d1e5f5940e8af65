// Structured logs: pino JSON on stderr (stdout belongs to the CLI's human output).
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * A logger for one component; DARKROOM_LOG_LEVEL sets the level (default info, silent in tests).
 * `sync: false` (a server's many lines) writes in the background, lines that arrive meanwhile
 * together; what is buffered is written out when the process exits, but not on SIGKILL.
 */
export function createLogger(component: string, options: { level?: string; destination?: number; sync?: boolean } = {}): Logger {
  const level = options.level ?? process.env.DARKROOM_LOG_LEVEL ?? 'info';
  return pino({ name: component, level, base: { pid: process.pid, component } }, pino.destination({ dest: options.destination ?? 2, sync: options.sync ?? true }));
}

/** A logger that drops everything, for unit tests of code that logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
