// The daemon's way to read its config: loadAgentConfig run in a short-lived child node process
// (read-child.ts), so that the daemon never loads the YAML parser and zod (4 MiB of heap it
// would hold for as long as it runs). Same config, same problems, same ConfigError.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { messageOf } from '../../shared/errors.js';
import { ConfigError, type ConfigErrorCode } from './errors.js';
import type { AgentConfig } from './resolve.js';

/** Longest the reading process may take; it is killed after (start-up on a busy machine is slow). */
export const CONFIG_READ_TIMEOUT_MS = 60_000;
/** Most the reading process may print: a settled config is a few KiB. */
export const CONFIG_READ_OUTPUT_MAX_BYTES = 4 * 1_048_576;

/** What read-child.ts prints: the settled config, or the ConfigError it met. */
export type ConfigReply = { config: AgentConfig } | { error: { code: ConfigErrorCode; message: string; problems: readonly string[] } };

export interface ReadConfigOptions {
  timeoutMs?: number;
}

/** loadAgentConfig(path) in a child process: resolves with the config or throws its ConfigError. */
export function readAgentConfig(path: string, options: ReadConfigOptions = {}): Promise<AgentConfig> {
  const script = fileURLToPath(new URL('./read-child.js', import.meta.url));
  const timeout = options.timeoutMs ?? CONFIG_READ_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, path], { timeout, killSignal: 'SIGKILL', maxBuffer: CONFIG_READ_OUTPUT_MAX_BYTES }, (error, stdout, stderr) => {
      const unreadable = (detail: string, cause?: unknown) =>
        reject(new ConfigError('CONFIG_UNREADABLE', `Cannot read the agent config ${path}: ${detail}: check the file with \`darkroom agent check --config ${path}\``, { cause }));
      if (error?.killed) return unreadable(`the process reading it did not finish within ${timeout} ms`, error);
      if (error) return unreadable(`the process reading it failed: ${stderr.trim() || error.message.trim()}`, error);
      let reply: ConfigReply;
      try {
        reply = JSON.parse(stdout) as ConfigReply;
      } catch (cause) {
        return unreadable(`the process reading it printed no config: ${messageOf(cause)}`, cause);
      }
      if ('error' in reply) return reject(new ConfigError(reply.error.code, reply.error.message, { problems: reply.error.problems }));
      resolve(reply.config);
    });
  });
}
