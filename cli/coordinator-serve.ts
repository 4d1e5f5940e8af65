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
  metrics?: string;
}

/** The port the metrics endpoint is usually given (Prometheus' registry of default ports is full). */
export const DEFAULT_METRICS_PORT = 9420;

/** "HOST:PORT", "[v6]:PORT" or ":PORT", the value of `flag`. */
export function parseListen(value: string, { flag = '--listen', examplePort = DEFAULT_PORT } = {}): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new DarkroomError('LISTEN_INVALID', `${flag} '${value}' is not HOST:PORT (e.g. 127.0.0.1:${examplePort} or 0.0.0.0:${examplePort})`);
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
    .option('--metrics <host:port>', `serve Prometheus metrics on http://HOST:PORT/metrics (e.g. 127.0.0.1:${DEFAULT_METRICS_PORT})`)
    .action(async (options: ServeOptions) => {
      if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) throw new DarkroomError('TLS_INCOMPLETE', 'Give both --tls-cert and --tls-key, or neither');
      const tls = options.tlsCert && options.tlsKey ? { cert: await readFile(options.tlsCert), key: await readFile(options.tlsKey) } : undefined;
      const metrics = options.metrics ? parseListen(options.metrics, { flag: '--metrics', examplePort: DEFAULT_METRICS_PORT }) : undefined;
      const running = await startCoordinator(resolve(options.data), { ...parseListen(options.listen), tls, metrics, logger: createLogger('coordinator') });
      say(`Coordinator listening on ${running.url}`);
      if (running.metricsUrl) say(`Metrics on ${running.metricsUrl}`);
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
