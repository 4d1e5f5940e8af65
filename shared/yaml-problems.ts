// Turns validation issues of a YAML file (agent.yaml, a quality bar) into "agent.yaml:12:
// boot.timeout: expected …" lines, using the positions the YAML parser kept for every key and item.
import { isMap, isNode, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';

export type ConfigPath = readonly PropertyKey[];

/** One thing wrong with a config file, at a key path and (when known) a line. */
export interface ConfigProblem {
  path: string;
  line?: number;
  message: string;
}

/** `boot.timeout`, `workloads[2].name`, `trees.linux`; the whole file is `(file)`. */
export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) text += typeof segment === 'number' ? `[${segment}]` : `${text ? '.' : ''}${String(segment)}`;
  return text || '(file)';
}

/** The line a problem is reported at, and the text people read. */
export function formatProblem(file: string, problem: ConfigProblem): string {
  return `${file}${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.path}: ${problem.message}`;
}

/**
 * Offset of the deepest node the path reaches: the key of a mapping entry, or a list item. A key
 * that is missing is reported where its parent is written.
 */
function offsetOf(doc: Document, path: ConfigPath): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(segment));
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!isNode(item)) break;
      if (item.range) offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/** Locates a problem at a key path of the parsed document. */
export function problemAt(source: { doc: Document; lines: LineCounter }, path: ConfigPath, message: string): ConfigProblem {
  const offset = offsetOf(source.doc, path);
  const line = offset === undefined ? undefined : source.lines.linePos(offset).line;
  return { path: formatPath(path), message, ...(line === undefined ? {} : { line }) };
}

/**
 * One problem per issue; an unknown key is reported on its own line, one per key, pointing at
 * `example` (the file to compare with, e.g. examples/agent.yaml).
 */
export function problemsOf(source: { doc: Document; lines: LineCounter }, issues: readonly z.core.$ZodIssue[], example: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(problemAt(source, [...issue.path, key], `unknown key: check its spelling and indentation (see ${example})`));
    } else if (issue.code === 'invalid_key') {
      const reason = issue.issues.map((inner) => inner.message).join('; ');
      problems.push(problemAt(source, issue.path, `invalid name: ${reason}`));
    } else {
      problems.push(problemAt(source, issue.path, issue.message));
    }
  }
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
