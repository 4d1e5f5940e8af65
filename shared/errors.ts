// The base of every error Darkroom raises at a boundary: a stable code, a sentence for people.

/**
 * An error a user or a peer can act on. `code` is stable (scripts and tests match on it); the
 * message says what failed, on what input, and what to do. Subclasses name the boundary.
 */
export class DarkroomError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The message of any thrown value, for logs and for wrapping. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
