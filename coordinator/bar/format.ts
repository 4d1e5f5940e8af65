// The quality-bar file (docs/quality-bar.md): YAML validated strictly, every problem with its line
// and key; and the JSON the coordinator stores with the embargo. Pure.
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { DarkroomError, messageOf } from '../../shared/errors.js';
import { formatProblem, problemAt, problemsOf, type ConfigProblem } from '../../shared/yaml-problems.js';
import { parseIsoDate } from '../store/embargoes.js';

/** Largest bar file read; a bar is a few lines. */
export const MAX_BAR_BYTES = 64 * 1024;
/** Most classes or agents a requirement may ask for; more is a typo. */
export const MAX_BAR_COUNT = 1_000;
/** The format the stored JSON has; bumped only on an incompatible change. */
export const BAR_FORMAT = 1;
const EXAMPLE = 'examples/quality-bar.yaml';

export type BarErrorCode = 'BAR_INVALID' | 'BAR_STORED_MALFORMED';

/** A bar that cannot be used; `problems` holds one "file:line: key: what" line per problem. */
export class BarError extends DarkroomError<BarErrorCode> {
  readonly problems: readonly string[];

  constructor(code: BarErrorCode, message: string, options: { problems?: readonly string[]; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.problems = options.problems ?? [message];
  }
}

/** At least `need` distinct hardware classes, or distinct agents. */
export type CountUnit = 'classes' | 'agents';

export interface WorkloadRequirement {
  name: string;
  unit: CountUnit;
  need: number;
}

export interface QualityBar {
  format: typeof BAR_FORMAT;
  /** apply and build ran and passed on at least this many distinct hardware classes. */
  buildClasses: number | null;
  /** apply, build and boot passed, the boot run (not SKIP), on at least this many distinct hardware classes. */
  bootClasses: number | null;
  workloads: WorkloadRequirement[];
  /** Agents run the workloads on the unpatched base too; a new failure fails the bar. */
  noNewFailures: boolean;
  deadlineMs: number | null;
}

const WORKLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const count = () =>
  z.number({ error: (issue) => (issue.input === undefined ? 'is required' : `expected a whole number from 1 to ${MAX_BAR_COUNT}, got ${JSON.stringify(issue.input)}`) })
    .int({ error: (issue) => `expected a whole number from 1 to ${MAX_BAR_COUNT}, got ${JSON.stringify(issue.input)}` })
    .min(1, { error: (issue) => `expected a whole number from 1 to ${MAX_BAR_COUNT}, got ${JSON.stringify(issue.input)}` })
    .max(MAX_BAR_COUNT, { error: (issue) => `expected a whole number from 1 to ${MAX_BAR_COUNT}, got ${JSON.stringify(issue.input)}` });

const workload = z.strictObject({ classes: count().optional(), agents: count().optional() }, { error: 'expected a mapping with classes or agents, e.g. { classes: 2 }' })
  .refine((value) => (value.classes === undefined) !== (value.agents === undefined), { error: 'give exactly one of classes or agents' });

const DATE_RULE = 'an ISO 8601 date like 2030-01-25 or 2030-01-25T12:00Z';

/** A deadline in the future and not after the embargo's disclosure date. */
function deadline(context: BarContext) {
  return z.string({ error: (issue) => `expected ${DATE_RULE}, got ${JSON.stringify(issue.input)}` }).transform((text, ctx) => {
    const ms = parseIsoDate(text);
    const problem = Number.isNaN(ms) ? `expected ${DATE_RULE}, got ${JSON.stringify(text)}`
      : ms <= context.now ? `${text} is not in the future: pick the date by which the bar must be met`
      : ms > context.untilMs ? `${text} is after the embargo's disclosure date ${new Date(context.untilMs).toISOString()}: the bar must be met before the fix is public`
      : null;
    if (problem === null) return ms;
    ctx.addIssue({ code: 'custom', message: problem, input: text });
    return z.NEVER;
  });
}

function rawBarSchema(context: BarContext) {
  const classes = () => z.strictObject({ classes: count() }, { error: 'expected a mapping with classes, e.g. { classes: 2 }' }).optional();
  return z.strictObject({
    build: classes(),
    boot: classes(),
    workloads: z.record(z.string().regex(WORKLOAD_NAME, { error: 'expected a workload name of letters, digits, dot, dash or underscore (at most 64)' }), workload, { error: 'expected a mapping of workload names to { classes: N } or { agents: N }' }).optional(),
    no_new_failures: z.boolean({ error: (issue) => `expected true or false, got ${JSON.stringify(issue.input)}` }).optional(),
    deadline: deadline(context).optional(),
  }, { error: 'expected a mapping with build, boot, workloads, no_new_failures and deadline' });
}

type RawBar = z.output<ReturnType<typeof rawBarSchema>>;

export interface BarContext {
  /** The file name problems are reported against. */
  file: string;
  now: number;
  /** The embargo's disclosure date: the deadline may not be later. */
  untilMs: number;
}

function barOf(raw: RawBar): QualityBar {
  const workloads = Object.entries(raw.workloads ?? {}).map(([name, need]): WorkloadRequirement => (need.classes !== undefined ? { name, unit: 'classes', need: need.classes } : { name, unit: 'agents', need: need.agents! }));
  return { format: BAR_FORMAT, buildClasses: raw.build?.classes ?? null, bootClasses: raw.boot?.classes ?? null, workloads, noNewFailures: raw.no_new_failures ?? false, deadlineMs: raw.deadline ?? null };
}

/** Parses and validates a bar file's text; throws one BarError listing every problem. */
export function parseBar(text: string, context: BarContext): QualityBar {
  if (Buffer.byteLength(text) > MAX_BAR_BYTES) throw new BarError('BAR_INVALID', `Quality bar ${context.file} is larger than ${MAX_BAR_BYTES} bytes: is it the right file?`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const source = { doc, lines };
  const fail = (problems: ConfigProblem[]): never => {
    const formatted = problems.map((problem) => formatProblem(context.file, problem));
    throw new BarError('BAR_INVALID', `Quality bar ${context.file} has ${formatted.length === 1 ? 'a problem' : `${formatted.length} problems`}:\n  ${formatted.join('\n  ')}`, { problems: formatted });
  };
  if (doc.errors.length > 0) fail(doc.errors.map((error) => ({ path: '(yaml)', line: error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line, message: error.message.split('\n')[0]! })));
  const parsed = rawBarSchema(context).safeParse(doc.toJS() ?? undefined);
  if (!parsed.success) fail(problemsOf(source, parsed.error.issues, EXAMPLE));
  const bar = barOf(parsed.data!);
  if (bar.buildClasses === null && bar.bootClasses === null && bar.workloads.length === 0 && !bar.noNewFailures) fail([problemAt(source, [], 'the bar asks for nothing: give build, boot, workloads or no_new_failures')]);
  return bar;
}

/** The stored JSON of a bar. */
export function barToJson(bar: QualityBar): string {
  return JSON.stringify(bar);
}

/** A bar as stored; a row that does not decode is a damaged database, named as such. */
export function barFromJson(text: string, embargo: string): QualityBar {
  let value: Partial<QualityBar>;
  try {
    value = JSON.parse(text) as Partial<QualityBar>;
  } catch (cause) {
    throw new BarError('BAR_STORED_MALFORMED', `The stored quality bar of embargo '${embargo}' is not JSON (${messageOf(cause)}): set it again with 'darkroom coordinator embargo bar'`, { cause });
  }
  if (value.format !== BAR_FORMAT || !Array.isArray(value.workloads)) throw new BarError('BAR_STORED_MALFORMED', `The stored quality bar of embargo '${embargo}' is not format ${BAR_FORMAT}: set it again with 'darkroom coordinator embargo bar'`);
  // Bars stored before the build requirement existed have no buildClasses: they ask for none.
  return { ...value, buildClasses: value.buildClasses ?? null } as QualityBar;
}

/** One line for `embargo list`: `build>=3 classes, boot>=2 classes, unit>=2 classes, no new failures, by 2030-01-25T12:00Z`. */
export function describeBar(bar: QualityBar): string {
  const parts = [
    ...(bar.buildClasses === null ? [] : [`build>=${bar.buildClasses} classes`]),
    ...(bar.bootClasses === null ? [] : [`boot>=${bar.bootClasses} classes`]),
    ...bar.workloads.map((w) => `${w.name}>=${w.need} ${w.unit}`),
    ...(bar.noNewFailures ? ['no new failures'] : []),
    ...(bar.deadlineMs === null ? [] : [`by ${new Date(bar.deadlineMs).toISOString()}`]),
  ];
  return parts.join(', ');
}
