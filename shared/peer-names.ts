// Names a peer sends that reach a file path, a database row or a person's terminal: a job id, a
// stage name, any text shown. Checked before use, since the peer may be hostile (THREAT-MODEL 24).

/** A job id as the agent uses it in file names: letters, digits, dot, dash, underscore; not a dot first. */
export const JOB_ID_PATTERN = /^(?!\.)[A-Za-z0-9._-]{1,128}$/;
/** The longest stage name (`workload:` and a 64-character workload name fit). */
export const STAGE_NAME_MAX = 80;
/** A stage name: apply, build, boot, workload:NAME; letters, digits, dot, dash, underscore, colon. */
const STAGE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
/** The longest text shown for one field of a notification. */
export const SHOWN_FIELD_MAX = 200;

/** Why `id` may not name a job's files, or null when it may. */
export function jobIdProblem(id: unknown): string | null {
  if (typeof id === 'string' && JOB_ID_PATTERN.test(id)) return null;
  return `Job id ${JSON.stringify(String(id)).slice(0, 80)} is not a safe name: expected 1 to 128 letters, digits, dots, dashes or underscores, not starting with a dot`;
}

/** Why `name` may not be stored or shown as a stage name, or null when it may. */
export function stageNameProblem(name: unknown): string | null {
  if (typeof name === 'string' && name.length <= STAGE_NAME_MAX && STAGE_NAME_PATTERN.test(name)) return null;
  const length = typeof name === 'string' ? name.length : 0;
  return `Stage name of ${length} characters is not a stage name: expected at most ${STAGE_NAME_MAX} letters, digits, dots, dashes, underscores or colons`;
}

/** `text` made safe for a terminal: control characters (escape sequences, newlines) shown as '?', cut to `max`. */
export function printable(text: string, max = SHOWN_FIELD_MAX): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
