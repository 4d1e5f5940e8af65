// Human output: the only place Darkroom writes for people (logs are pino JSON on stderr).
import { DarkroomError, messageOf } from '../shared/errors.js';

export const PROGRAM = 'darkroom';

/** Prints a line for people on stdout. */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** "darkroom: hint: …" on stderr. */
export function hint(line: string): void {
  process.stderr.write(`${PROGRAM}: hint: ${line}\n`);
}

/** "darkroom: warning: …" on stderr. */
export function warn(line: string): void {
  process.stderr.write(`${PROGRAM}: warning: ${line}\n`);
}

/** Prints an error the way every command does, and returns the exit code to use. */
export function reportError(error: unknown): number {
  if (error instanceof DarkroomError) {
    process.stderr.write(`${PROGRAM}: error: ${error.message} [${error.code}]\n`);
    return 1;
  }
  process.stderr.write(`${PROGRAM}: error: ${messageOf(error)}\n`);
  if (process.env.DARKROOM_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 1;
}

/** "darkroom: error: …" on stderr for one of several problems, without ending the command. */
export function problem(line: string): void {
  process.stderr.write(`${PROGRAM}: error: ${line}\n`);
}
