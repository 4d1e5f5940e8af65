// `coordinator embargo bar`: read a quality-bar file, validate it against its embargo, store it.
import { readFile } from 'node:fs/promises';
import { BarError, MAX_BAR_BYTES, barToJson, parseBar, type QualityBar } from '../bar/format.js';
import type { Store } from '../store/store.js';

/** Reads the bar file; a missing or huge file is named with what to pass instead. */
export async function readBarFile(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new BarError('BAR_INVALID', `Cannot read the quality bar ${path}: ${(error as Error).message}: pass a file written from examples/quality-bar.yaml with --file`, { cause: error });
  });
  if (Buffer.byteLength(text) > MAX_BAR_BYTES) throw new BarError('BAR_INVALID', `Quality bar ${path} is larger than ${MAX_BAR_BYTES} bytes: is it the right file?`);
  return text;
}

/** Validates `text` (from `file`) for the named embargo and stores it, replacing any earlier bar. */
export function setEmbargoBar(store: Store, request: { embargo: string; file: string; text: string }, options: { actor: string; now: number }): QualityBar {
  return store.write(() => {
    const embargo = store.embargoes.require(request.embargo);
    const bar = parseBar(request.text, { file: request.file, now: options.now, untilMs: embargo.untilMs });
    store.embargoes.setBar(embargo.name, barToJson(bar), options);
    return bar;
  });
}
