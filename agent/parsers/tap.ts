// The `tap` format: TAP 13/14 through tap-parser, subtests as dotted paths, plans held to account.
import { Parser, type Result } from 'tap-parser';
import { outranks, rollUp, type Status } from '../../shared/status.js';
import { joinPath, segment } from './names.js';
import { parsed, type CaseResult, type ParsedWorkload } from './types.js';

/** The cases of one TAP level, named relative to it, and the level's parser. */
interface Level {
  parser: Parser;
  cases: CaseResult[];
  /** The most recent subtest, waiting for the test point that closes it in this level. */
  pendingChild?: Level;
}

/**
 * SKIP directive: SKIP. TODO: a known failure judges nothing, so `not ok # TODO` is SKIP and
 * `ok # TODO` PASS. Otherwise ok is PASS and not ok FAIL.
 */
function statusOf(result: Result): Status {
  if (result.skip) return 'SKIP';
  if (result.todo) return result.ok ? 'PASS' : 'SKIP';
  return result.ok ? 'PASS' : 'FAIL';
}

/** A test point with subtests is listed only when it says worse than they do together. */
function addTestPoint(level: Level, result: Result, problems: string[]): void {
  const name = segment(result.name || `test-${result.id}`);
  const status = statusOf(result);
  const child = level.pendingChild;
  level.pendingChild = undefined;
  const children = child ? checkPlan(child.parser, child.cases, problems) : [];
  for (const child of children) level.cases.push({ ...child, name: joinPath(name, child.name) });
  if (children.length === 0 || outranks(status, rollUp(children.map((child) => child.status)))) {
    level.cases.push(result.time === null ? { name, status } : { name, status, durationMs: Math.round(result.time) });
  }
}

function watch(parser: Parser, problems: string[]): Level {
  const level: Level = { parser, cases: [] };
  parser.on('child', (child: Parser) => {
    level.pendingChild = watch(child, problems);
  });
  parser.on('assert', (result: Result) => addTestPoint(level, result, problems));
  return level;
}

/**
 * The level's cases plus, when fewer tests reported than its plan announced, one ERROR case for
 * the missing ones (`missing-4-5`): they did not run, which says nothing about the code.
 */
function checkPlan(parser: Parser, cases: CaseResult[], problems: string[]): CaseResult[] {
  if (parser.planStart < 1) return cases;
  const planned = parser.planEnd - parser.planStart + 1;
  const where = parser.level === 0 ? 'The plan' : `The plan of subtest '${parser.name}'`;
  if (parser.count < planned) {
    const first = parser.planStart + parser.count;
    const range = first === parser.planEnd ? `${first}` : `${first}-${parser.planEnd}`;
    if (parser.bailedOut === false) problems.push(`${where} announced ${planned} tests but ${parser.count} reported: the run stopped early`);
    return [...cases, { name: `missing-${range}`, status: 'ERROR' }];
  }
  if (parser.count > planned) problems.push(`${where} announced ${planned} tests but ${parser.count} reported`);
  return cases;
}

/** A subtest whose closing test point never came (the output was cut): its cases still count. */
function flushUnclosed(level: Level, problems: string[]): void {
  const child = level.pendingChild;
  if (!child) return;
  level.pendingChild = undefined;
  flushUnclosed(child, problems);
  const name = segment(child.parser.name || 'unclosed-subtest');
  for (const item of checkPlan(child.parser, child.cases, problems)) level.cases.push({ ...item, name: joinPath(name, item.name) });
}

export function parseTap(text: string): ParsedWorkload {
  const parser = new Parser();
  const problems: string[] = [];
  const root = watch(parser, problems);
  parser.on('bailout', (reason: string) => problems.push(`Bail out!${reason ? ` ${reason}` : ''}`));
  parser.end(text);
  flushUnclosed(root, problems);
  if (parser.syntheticPlan) return parsed([], ['No TAP output was found: no plan and no test points']);
  if (parser.planStart === -1 && parser.bailedOut === false) problems.push('The TAP output has no plan: it may have been cut short');
  return parsed(checkPlan(parser, root.cases, problems), problems);
}
