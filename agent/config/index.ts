// The agent's config file: read agent.yaml, validate it strictly with line numbers, settle it.
// This loads the YAML parser and zod; the daemon reads its config through read.ts instead.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { formatProblem, problemAt, problemsOf, type ConfigProblem } from '../../shared/yaml-problems.js';
import { ConfigError } from './errors.js';
import { checkMemoryBacked } from './memory-fs.js';
import { resolveConfig, type AgentConfig } from './resolve.js';
import { rawConfigSchema } from './schema.js';

export type { AgentConfig } from './resolve.js';
export type { BootSettings, CommandStage, TreeSettings, WorkloadSettings } from '../pipeline/settings.js';
export type { WorkloadFormat } from '../parsers/index.js';
export { AUTO_HARDWARE_CLASS, DEFAULT_MEMORY_WORKSPACE, QEMU_DEFAULTS } from './resolve.js';
export { formatDuration, parseDuration } from './duration.js';
export { checkMemoryBacked } from './memory-fs.js';
export { ConfigError, type ConfigErrorCode } from './errors.js';
export { declaredWorkloads, treeSettings } from './trees.js';

/** Largest config file read; anything bigger is not an agent config. */
export const MAX_CONFIG_BYTES = 1_048_576;

/**
 * Reads and validates the agent config at `path`. Every problem is collected (syntax, unknown
 * keys, wrong types, cross-key rules, a workspace that should be memory-backed and is not) and
 * thrown together as one ConfigError.
 */
export async function loadAgentConfig(path: string): Promise<AgentConfig> {
  const file = resolve(path);
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new ConfigError('CONFIG_UNREADABLE', `Cannot read the agent config ${path}: ${(error as Error).message}: pass the file written from examples/agent.yaml with --config`, { cause: error });
  });
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
    throw new ConfigError('CONFIG_UNREADABLE', `Agent config ${path} is larger than ${MAX_CONFIG_BYTES} bytes: is it the right file?`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const source = { doc, lines };
  const fail = (problems: ConfigProblem[]): never => {
    const formatted = problems.map((problem) => formatProblem(path, problem));
    const count = formatted.length === 1 ? 'a problem' : `${formatted.length} problems`;
    throw new ConfigError('CONFIG_INVALID', `Agent config ${path} has ${count}:\n  ${formatted.join('\n  ')}`, { problems: formatted });
  };
  if (doc.errors.length > 0) {
    fail(doc.errors.map((error) => ({ path: '(yaml)', line: error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line, message: error.message.split('\n')[0]! })));
  }
  const parsed = rawConfigSchema.safeParse(doc.toJS() ?? undefined);
  if (!parsed.success) fail(problemsOf(source, parsed.error.issues, 'examples/agent.yaml'));
  const { config, problems } = resolveConfig(parsed.data!, file);
  const located = problems.map((problem) => problemAt(source, problem.path, problem.message));
  if (config.workspace.memoryBacked) {
    const memory = await checkMemoryBacked(config.workspace.root);
    if (!memory.ok) located.push(problemAt(source, ['workspace', 'tmpfs'], memory.problem));
  }
  if (located.length > 0) fail(located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return config;
}
