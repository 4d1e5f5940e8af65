// Run as its own short-lived node process by read.ts: reads and validates the agent config named
// by its argument and prints one JSON line, the settled config or the config's problems. The YAML
// parser and zod never enter the long-running daemon, whose heap would hold them for good.
import { ConfigError, loadAgentConfig } from './index.js';
import type { ConfigReply } from './read.js';

const path = process.argv[2];
if (!path) throw new Error('Usage: read-child.js CONFIG_FILE');
let reply: ConfigReply;
try {
  reply = { config: await loadAgentConfig(path) };
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  reply = { error: { code: error.code, message: error.message, problems: error.problems } };
}
process.stdout.write(`${JSON.stringify(reply)}\n`);
