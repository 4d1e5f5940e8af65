// HTML built with hono's `html` tag: every interpolated string is escaped; only markup made by
// this tag (or `raw` of a constant) goes in as is. Pure.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Status } from '../../../shared/status.js';

export type Markup = HtmlEscapedString;

/** `html`, synchronous: the pages never interpolate promises. */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  const out = html(strings, ...values);
  if (out instanceof Promise) throw new TypeError('A dashboard page interpolated a promise: resolve the data before rendering');
  return out;
}

export const nothing: Markup = raw('');

/** A KCIDB status word as a coloured badge; `null` (nothing finished yet) as a dash. */
export function badge(status: Status | null, text?: string): Markup {
  if (status === null) return h`<span class="badge none">${text ?? '–'}</span>`;
  return h`<span class="badge s-${status.toLowerCase()}">${text ?? status}</span>`;
}

/** `workload:unit` → `unit`; stages as they are. */
export function columnTitle(column: string): string {
  return column.startsWith('workload:') ? column.slice('workload:'.length) : column;
}

/** A date as people read it in a table: `2026-12-03 16:04 UTC`. */
export function formatDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Query string of `params` with empty values left out, `?`-prefixed (or empty). */
export function queryOf(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}
