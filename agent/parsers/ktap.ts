// The `ktap` format: KTAP v1 as the kernel prints it, from kselftest and from KUnit on a console.
import { outranks, rollUp, type Status } from '../../shared/status.js';
import { consoleLines } from './console.js';
import { joinPath, segment } from './names.js';
import { parsed, type CaseResult, type ParsedWorkload } from './types.js';

/**
 * Nesting is shown by a prefix per level: four spaces (KTAP v1, KUnit) or `# ` (the kselftest
 * runner pipes each test's own KTAP through `sed 's/^/# /'`). A line is KTAP at the depth whose
 * prefixes, once removed, leave one of these; anything else is a diagnostic or console noise.
 */
const VERSION = /^[KT]AP version \d+\s*$/;
const PLAN = /^1\.\.(\d+)\s*(?:#.*)?$/;
const RESULT = /^(ok|not ok)\s+(\d+)\b\s*(?:-\s*)?(.*)$/;
const SUBTEST = /^# Subtest: (.+)$/;
const BAIL_OUT = /^Bail out!\s*(.*)$/;
const INDENT_UNITS = ['    ', '# ', '\t'] as const;
/** kselftest's runner names its top-level results `selftests: <collection>: <test>`. */
const KSELFTEST_NAME = /^selftests:\s*(\S+):\s*(\S+)$/;

type KtapLine =
  | { kind: 'version' }
  | { kind: 'plan'; count: number }
  | { kind: 'result'; ok: boolean; number: number; name: string; directive: string }
  | { kind: 'subtest'; name: string }
  | { kind: 'bail'; reason: string };

function classify(text: string): KtapLine | undefined {
  if (VERSION.test(text)) return { kind: 'version' };
  const plan = PLAN.exec(text);
  if (plan) return { kind: 'plan', count: Number(plan[1]) };
  const subtest = SUBTEST.exec(text);
  if (subtest) return { kind: 'subtest', name: subtest[1]!.trim() };
  const bail = BAIL_OUT.exec(text);
  if (bail) return { kind: 'bail', reason: bail[1]!.trim() };
  const result = RESULT.exec(text);
  if (!result) return undefined;
  const hash = result[3]!.search(/(?<!\\)#/);
  const name = (hash < 0 ? result[3]! : result[3]!.slice(0, hash)).trim().replace(/\\#/g, '#');
  const directive = hash < 0 ? '' : result[3]!.slice(hash + 1).trim();
  return { kind: 'result', ok: result[1] === 'ok', number: Number(result[2]), name, directive };
}

/** The depth and meaning of a line, or undefined for a diagnostic. */
export function ktapLine(line: string): { depth: number; line: KtapLine } | undefined {
  let text = line.trimEnd();
  for (let depth = 0; ; depth += 1) {
    const found = classify(text);
    if (found) return { depth, line: found };
    const unit = INDENT_UNITS.find((prefix) => text.startsWith(prefix));
    if (!unit) return undefined;
    text = text.slice(unit.length);
  }
}

/**
 * KTAP directives: SKIP is SKIP; XFAIL (a known failure that happened) and TODO judge nothing;
 * TIMEOUT is a hang of the code under test (FAIL); ERROR is the harness breaking (ERROR).
 */
export function ktapStatus(ok: boolean, directive: string): Status {
  const word = /^([A-Za-z]+)/.exec(directive)?.[1]?.toUpperCase();
  switch (word) {
    case 'SKIP':
      return 'SKIP';
    case 'XFAIL':
      return 'PASS';
    case 'TODO':
      return ok ? 'PASS' : 'SKIP';
    case 'TIMEOUT':
      return 'FAIL';
    case 'ERROR':
      return 'ERROR';
    default:
      return ok ? 'PASS' : 'FAIL';
  }
}

interface Level {
  plan?: number;
  reported: number;
  cases: CaseResult[];
  subtestName?: string;
}

const newLevel = (): Level => ({ reported: 0, cases: [] });

function caseName(name: string, number: number, fallback: string | undefined): string {
  const kselftest = KSELFTEST_NAME.exec(name);
  if (kselftest) return joinPath(segment(kselftest[1]!), segment(kselftest[2]!));
  return segment(name || fallback || `test-${number}`);
}

/** The level's cases, plus one ERROR case for tests its plan announced that never reported. */
function closeLevel(level: Level, where: string, problems: string[]): CaseResult[] {
  if (level.plan === undefined || level.reported >= level.plan) return level.cases;
  const first = level.reported + 1;
  problems.push(`${where} announced ${level.plan} tests but ${level.reported} reported: the run stopped early`);
  return [...level.cases, { name: `missing-${first === level.plan ? first : `${first}-${level.plan}`}`, status: 'ERROR' }];
}

/** Closes every level deeper than `depth`, folding their cases into their parents as unclosed. */
function unwind(levels: Level[], depth: number, problems: string[]): void {
  while (levels.length - 1 > depth) {
    const child = levels.pop()!;
    const parent = levels.at(-1)!;
    const name = segment(child.subtestName ?? 'unclosed-subtest');
    for (const item of closeLevel(child, `Subtest '${name}'`, problems)) parent.cases.push({ ...item, name: joinPath(name, item.name) });
  }
}

function addResult(levels: Level[], depth: number, result: Extract<KtapLine, { kind: 'result' }>, problems: string[]): void {
  const level = levels[depth]!;
  const child = levels[depth + 1];
  const name = caseName(result.name, result.number, child?.subtestName);
  const children = child ? closeLevel(child, `Subtest '${name}'`, problems) : [];
  levels.length = depth + 1;
  level.reported += 1;
  const status = ktapStatus(result.ok, result.directive);
  for (const item of children) level.cases.push({ ...item, name: joinPath(name, item.name) });
  if (children.length === 0 || outranks(status, rollUp(children.map((item) => item.status)))) level.cases.push({ name, status });
}

/** Parses KTAP from a workload's output or a console log (printk prefixes are dropped first). */
export function parseKtap(text: string): ParsedWorkload {
  const levels: Level[] = [newLevel()];
  const problems: string[] = [];
  let seen = false;
  for (const raw of consoleLines(text)) {
    const found = ktapLine(raw);
    if (!found) continue;
    seen = true;
    const { depth, line } = found;
    while (levels.length <= depth) levels.push(newLevel());
    if (line.kind === 'result') {
      unwind(levels, depth + 1, problems);
      addResult(levels, depth, line, problems);
    } else if (line.kind === 'plan') {
      levels[depth]!.plan = line.count;
    } else if (line.kind === 'subtest') {
      levels[depth]!.subtestName = line.name;
    } else if (line.kind === 'bail') {
      problems.push(`Bail out!${line.reason ? ` ${line.reason}` : ''}`);
    } else if (depth > 0) {
      unwind(levels, depth, problems);
      levels[depth] = { ...newLevel(), subtestName: levels[depth]!.subtestName };
    }
  }
  if (!seen) return parsed([], ['No KTAP output was found: no version line, plan or test result']);
  unwind(levels, 0, problems);
  if (levels[0]!.plan === undefined) problems.push('The KTAP output has no top-level plan: it may have been cut short');
  return parsed(closeLevel(levels[0]!, 'The plan', problems), problems);
}
