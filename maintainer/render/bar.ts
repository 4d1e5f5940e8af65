// The quality bar's verdict (docs/quality-bar.md) for people: one headline, then what is missing,
// what broke it and how the cases compare with the base. Pure.

/** One entry of the verdict's `broken` list, as the coordinator writes it (docs/quality-bar.md). */
export interface BrokenJson {
  resultId?: string;
  jobId?: string;
  agent?: string;
  hardwareClass?: string;
  column?: string;
  case?: string;
  /** Cases the entry stands for when they could not be named (details not open here). */
  cases?: number;
  status?: string;
  baseStatus?: string | null;
  reason?: string;
}

interface ClassificationJson {
  pass?: number;
  regression?: number;
  preExisting?: number;
  fixed?: number;
  fixedCases?: string[];
}

/** The fields of `darkroom.bar.v1` the terminal shows; anything else is ignored. */
export interface BarVerdictJson {
  verdict?: string;
  deadline?: string | null;
  missing?: string[];
  broken?: BrokenJson[];
  classification?: ClassificationJson | null;
}

function asVerdict(bar: unknown): BarVerdictJson {
  return typeof bar === 'object' && bar !== null ? (bar as BarVerdictJson) : {};
}

/** `Quality bar: pending (boot: 1 more hardware class; …)`: what `watch` prints when it changes. */
export function barHeadline(bar: unknown): string {
  const verdict = asVerdict(bar);
  const word = verdict.verdict ?? JSON.stringify(bar);
  const missing = verdict.missing ?? [];
  const failures = (verdict.broken ?? []).reduce((sum, broken) => sum + (broken.cases || 1), 0);
  const detail = word === 'pending' && missing.length > 0 ? ` (${missing.join('; ')})` : word === 'failed' && failures > 0 ? ` (${failures} new failure${failures === 1 ? '' : 's'})` : '';
  return `Quality bar: ${word}${detail}`;
}

function brokenLine(broken: BrokenJson): string {
  const what = `${broken.column ?? ''}${broken.case ? ` ${broken.case}` : broken.cases ? ` (${broken.cases} case${broken.cases === 1 ? '' : 's'})` : ''}: ${broken.status ?? ''}`;
  const base = broken.baseStatus ? `, ${broken.baseStatus} on base` : '';
  return `  broken by ${broken.agent ?? ''} (${broken.hardwareClass ?? ''}) ${what}${base} [${broken.reason ?? ''}] result ${broken.resultId ?? ''} job ${broken.jobId ?? ''}`;
}

/** The lines `darkroom report` prints for the bar. */
export function renderBar(bar: unknown): string[] {
  const verdict = asVerdict(bar);
  const lines = [barHeadline(bar)];
  if (verdict.verdict === 'failed') lines.push(...(verdict.missing ?? []).map((line) => `  missing ${line}`));
  lines.push(...(verdict.broken ?? []).map(brokenLine));
  const c = verdict.classification;
  if (c) {
    lines.push(`Cases against the base: ${c.pass ?? 0} pass, ${c.regression ?? 0} regression, ${c.preExisting ?? 0} pre-existing, ${c.fixed ?? 0} fixed`);
    lines.push(...(c.fixedCases ?? []).map((name) => `  fixed: ${name}`));
  }
  if (verdict.deadline) lines.push(`Bar deadline: ${verdict.deadline}`);
  return lines;
}
