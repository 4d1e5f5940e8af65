// Reads a patch series as a maintainer hands it over: a directory of `git format-patch` files or
// one mbox file, in order.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DarkroomError } from '../shared/errors.js';

export type SeriesErrorCode = 'SERIES_MISSING' | 'SERIES_EMPTY' | 'SERIES_MALFORMED';

export class SeriesError extends DarkroomError<SeriesErrorCode> {}

export interface Patch {
  /** File name inside the bundle, e.g. 0001-fix-overflow.patch. */
  name: string;
  content: Uint8Array;
}

/** The line git format-patch starts every message with. */
const MBOX_SEPARATOR = /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$/m;

export async function readSeries(path: string): Promise<Patch[]> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new SeriesError('SERIES_MISSING', `Series ${path} does not exist: pass a directory of 'git format-patch' output or an mbox file`);
  const patches = info.isDirectory() ? await readDirectory(path) : splitMbox(await readFile(path, 'utf8'), path);
  if (patches.length === 0) throw new SeriesError('SERIES_EMPTY', `Series ${path} holds no patches: run 'git format-patch -o ${path} BASE..HEAD' first`);
  return patches;
}

async function readDirectory(dir: string): Promise<Patch[]> {
  const names = (await readdir(dir)).filter((name) => /\.(patch|diff)$/.test(name) && !name.startsWith('0000-cover-letter')).sort();
  const patches: Patch[] = [];
  for (const [index, name] of names.entries()) {
    const text = await readFile(join(dir, name), 'utf8');
    if (!/^diff --git /m.test(text)) throw new SeriesError('SERIES_MALFORMED', `${join(dir, name)} contains no 'diff --git' hunk: is it a git format-patch file?`);
    patches.push({ name: numbered(index, name), content: Buffer.from(text) });
  }
  return patches;
}

/** Splits an mbox at git's From lines; each message keeps its own From line, as git am expects. */
export function splitMbox(text: string, source: string): Patch[] {
  const starts: number[] = [];
  const pattern = new RegExp(MBOX_SEPARATOR.source, 'gm');
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) starts.push(match.index);
  if (starts.length === 0) throw new SeriesError('SERIES_MALFORMED', `${source} is not an mbox of git format-patch messages (no 'From <sha> Mon Sep 17 00:00:00 2001' line)`);
  return starts.map((start, index) => {
    const message = text.slice(start, starts[index + 1] ?? text.length);
    const subject = /^Subject: (?:\[[^\]]*\] )?(.*)$/m.exec(message)?.[1] ?? 'patch';
    return { name: numbered(index, subject), content: Buffer.from(message) };
  });
}

/** NNNN-slug.patch, the shape the bundle format accepts. */
function numbered(index: number, title: string): string {
  const slug = basename(title).replace(/^\d{4}-/, '').replace(/\.(patch|diff)$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 52) || 'patch';
  return `${String(index + 1).padStart(4, '0')}-${slug}.patch`;
}
