// `darkroom coordinator serve`: runs the WebSocket server until SIGINT or SIGTERM.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../coordinator/admin/duration.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../coordinator/mail/backoff.js';
import { checkRelay, DEFAULT_SMTP_PORT, readCredentials, SMTP_SECURITIES, type RelaySettings, type SmtpSecurity } from '../coordinator/mail/relay.js';
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
  smtpHost?: string;
  smtpPort?: string;
  smtpSecurity: string;
  smtpCredentials?: string;
  smtpCa?: string;
  mailFrom?: string;
  mailRetryFirst?: string;
  mailRetryMax?: string;
  mailGiveUp?: string;
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

/** The relay and retry policy of the --smtp-* and --mail-* flags, or undefined without --smtp-host. */
export async function mailOptions(options: ServeOptions): Promise<{ relay: RelaySettings; policy: RetryPolicy } | undefined> {
  if (!options.smtpHost) {
    if (options.mailFrom || options.smtpCredentials || options.smtpPort) throw new DarkroomError('MAIL_INCOMPLETE', 'The mail flags need --smtp-host: give the relay, or leave mail off');
    return undefined;
  }
  if (!options.mailFrom) throw new DarkroomError('MAIL_INCOMPLETE', "--smtp-host needs --mail-from, e.g. --mail-from 'Darkroom <darkroom@example.org>'");
  const security = options.smtpSecurity as SmtpSecurity;
  const relay = checkRelay({
    host: options.smtpHost,
    port: options.smtpPort ? Number(options.smtpPort) : (DEFAULT_SMTP_PORT[security] ?? 0),
    security,
    from: options.mailFrom,
    ...(options.smtpCredentials ? { credentials: await readCredentials(options.smtpCredentials) } : {}),
    ...(options.smtpCa ? { ca: await readFile(options.smtpCa) } : {}),
  });
  const policy: RetryPolicy = {
    firstMs: options.mailRetryFirst ? parseDuration(options.mailRetryFirst) : DEFAULT_RETRY_POLICY.firstMs,
    maxMs: options.mailRetryMax ? parseDuration(options.mailRetryMax) : DEFAULT_RETRY_POLICY.maxMs,
    giveUpAfterMs: options.mailGiveUp ? parseDuration(options.mailGiveUp) : DEFAULT_RETRY_POLICY.giveUpAfterMs,
  };
  return { relay, policy };
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
    .option('--smtp-host <host>', 'SMTP relay for notification mail (docs/notifications.md); no mail without it')
    .option('--smtp-port <port>', 'relay port (default 587 for starttls, 465 for tls, 25 for none)')
    .option('--smtp-security <mode>', `${SMTP_SECURITIES.join(' | ')}: STARTTLS required, TLS from the first byte, or plain (relays on 127.0.0.1 only)`, 'starttls')
    .option('--smtp-credentials <file>', 'file with the relay user name on line 1 and the password on line 2 (mode 0600)')
    .option('--smtp-ca <file>', "PEM CA certificates for the relay's TLS certificate (default: the system's)")
    .option('--mail-from <from>', "the From of notification mail, e.g. 'Darkroom <darkroom@example.org>'")
    .option('--mail-retry-first <duration>', 'delay before the first retry when the relay does not take a mail, doubling each time (default 2s)')
    .option('--mail-retry-max <duration>', 'longest delay between retries (default 10m)')
    .option('--mail-give-up <duration>', 'a mail the relay has not taken this long after it was queued is given up and logged (default 3d)')
    .option('--metrics <host:port>', `serve Prometheus metrics on http://HOST:PORT/metrics (e.g. 127.0.0.1:${DEFAULT_METRICS_PORT})`)
    .action(async (options: ServeOptions) => {
      if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) throw new DarkroomError('TLS_INCOMPLETE', 'Give both --tls-cert and --tls-key, or neither');
      const tls = options.tlsCert && options.tlsKey ? { cert: await readFile(options.tlsCert), key: await readFile(options.tlsKey) } : undefined;
      const mail = await mailOptions(options);
      const metrics = options.metrics ? parseListen(options.metrics, { flag: '--metrics', examplePort: DEFAULT_METRICS_PORT }) : undefined;
      // A line per message at load: written in the background, not one synchronous write each.
      const logger = createLogger('coordinator', { sync: false });
      const running = await startCoordinator(resolve(options.data), {
        ...parseListen(options.listen), tls, metrics, logger, allowPrivateWebhooks: options.allowPrivateWebhooks === true, ...(mail ? { mail } : {}),
      });
      if (options.allowPrivateWebhooks) hint('--allow-private-webhooks: maintainers may make this coordinator POST to plain http and to its own machine and network');
      say(`Coordinator listening on ${running.url}`);
      if (running.metricsUrl) say(`Metrics on ${running.metricsUrl}`);
      say(`Fingerprint: ${running.fingerprint}`);
      if (mail) say(`Mail through ${mail.relay.host}:${mail.relay.port} (${mail.relay.security})`);
      hint('logs are JSON on stderr; stop with Ctrl-C');
      await new Promise<void>((done) => {
        const stop = () => done();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await running.close();
    });
}
