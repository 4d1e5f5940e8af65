// Posts a KCIDB document to a KCIDB REST endpoint (kcidb-ng's `/submit`) with a bearer token, and
// returns the submission id it answers with.
import { readFile, stat } from 'node:fs/promises';
import { DarkroomError } from '../../shared/errors.js';
import type { KcidbDocument } from './document.js';

export type KcidbSubmitErrorCode = 'TOKEN_FILE_INVALID' | 'SUBMIT_REFUSED' | 'SUBMIT_UNREACHABLE';

export class KcidbSubmitError extends DarkroomError<KcidbSubmitErrorCode> {}

export const KCIDB_SUBMIT_TIMEOUT_MS = 60_000;

/** The endpoint: URL itself when its path ends in /submit, else URL/submit (kcidb-ng's route). */
export function submitEndpoint(url: string): URL {
  const base = new URL(url);
  if (base.pathname.endsWith('/submit')) return base;
  return new URL('submit', base.href.endsWith('/') ? base.href : `${base.href}/`);
}

/** The token: the file's first line; the file must not be readable by group or others. */
export async function readToken(path: string): Promise<string> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new KcidbSubmitError('TOKEN_FILE_INVALID', `Cannot read the KCIDB token file ${path}: ${(cause as Error).message}`, { cause });
  });
  if ((info.mode & 0o077) !== 0) throw new KcidbSubmitError('TOKEN_FILE_INVALID', `KCIDB token file ${path} is readable by group or others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
  const token = (await readFile(path, 'utf8')).split(/\r?\n/)[0]?.trim() ?? '';
  if (!token) throw new KcidbSubmitError('TOKEN_FILE_INVALID', `KCIDB token file ${path} is empty: put the token KernelCI gave you on its first line`);
  return token;
}

export async function submitKcidb(document: KcidbDocument, options: { url: string; token: string }): Promise<string> {
  const endpoint = submitEndpoint(options.url);
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' }, body: JSON.stringify(document), signal: AbortSignal.timeout(KCIDB_SUBMIT_TIMEOUT_MS) });
  } catch (cause) {
    throw new KcidbSubmitError('SUBMIT_UNREACHABLE', `KCIDB endpoint ${endpoint.href} is unreachable: ${(cause as Error).message}; nothing was submitted`, { cause });
  }
  const text = await response.text();
  let answer: { id?: unknown; message?: unknown } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    answer = {};
  }
  if (!response.ok || typeof answer.id !== 'string' || answer.id === '') {
    throw new KcidbSubmitError('SUBMIT_REFUSED', `KCIDB endpoint ${endpoint.href} refused the submission (HTTP ${response.status}): ${typeof answer.message === 'string' ? answer.message : text.slice(0, 200)}`);
  }
  return answer.id;
}
