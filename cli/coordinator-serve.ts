// `darkroom coordinator serve`: runs the WebSocket server until SIGINT or SIGTERM.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, startCoordinator } from '../coordinator/server/coordinator.js';
import { DarkroomError } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';
import { hint, say } from './output.js';

interface ServeOptions {
  data: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  allowPrivateWebhooks?: boolean;
}

/** "HOST:PORT", "[v6]:PORT" or ":PORT". */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new DarkroomError('LISTEN_INVALID', `--listen '${value}' is not HOST:PORT (e.g. 127.0.0.1:${DEFAULT_PORT} or 0.0.0.0:${DEFAULT_PORT})`);
  return { host: match[1] ?? (match[2] || DEFAULT_HOST), port };
}

export function registerServeCommand(coordinator: Command): void {
  coordinator
    .command('serve')
    .description('run the coordinator: agents and maintainers connect here over WebSocket')
    .requiredOption('--data <dir>', 'the coordinator data directory (made by coordinator init)')
    .option('--listen <host:port>', 'address to listen on', `${DEFAULT_HOST}:${DEFAULT_PORT}`)
    .option('--tls-cert <file>', 'PEM certificate: serve wss:// instead of ws://')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--allow-private-webhooks', 'let maintainers register http:// webhooks and ones on loopback, link-local or private addresses (a lab or test network only)')
    .action(async (options: ServeOptions) => {
      if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) throw new DarkroomError('TLS_INCOMPLETE', 'Give both --tls-cert and --tls-key, or neither');
      const tls = options.tlsCert && options.tlsKey ? { cert: await readFile(options.tlsCert), key: await readFile(options.tlsKey) } : undefined;
      const running = await startCoordinator(resolve(options.data), {
        ...parseListen(options.listen), tls, logger: createLogger('coordinator'), allowPrivateWebhooks: options.allowPrivateWebhooks === true,
      });
      if (options.allowPrivateWebhooks) hint('--allow-private-webhooks: maintainers may make this coordinator POST to plain http and to its own machine and network');
      say(`Coordinator listening on ${running.url}`);
      say(`Fingerprint: ${running.fingerprint}`);
      hint('logs are JSON on stderr; stop with Ctrl-C');
      await new Promise<void>((done) => {
        const stop = () => done();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await running.close();
    });
}
