// The operator's SMTP relay: where notification mail goes (host, port, STARTTLS or TLS, the
// credentials file), checked before the coordinator starts, and the nodemailer transport to it.
import { readFile, stat } from 'node:fs/promises';
import nodemailer, { type Transporter } from 'nodemailer';
import { DarkroomError } from '../../shared/errors.js';

export type RelayErrorCode = 'RELAY_INVALID' | 'CREDENTIALS_INVALID';

export class RelayError extends DarkroomError<RelayErrorCode> {}

export const SMTP_SECURITIES = ['starttls', 'tls', 'none'] as const;
export type SmtpSecurity = (typeof SMTP_SECURITIES)[number];

export const DEFAULT_SMTP_PORT: Record<SmtpSecurity, number> = { starttls: 587, tls: 465, none: 25 };
/** Connections the transport keeps open to the relay at once. */
export const SMTP_MAX_CONNECTIONS = 10;
/** Messages one pooled connection sends before it is replaced. */
export const SMTP_MAX_MESSAGES_PER_CONNECTION = 500;
export const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
export const SMTP_GREETING_TIMEOUT_MS = 10_000;
export const SMTP_SOCKET_TIMEOUT_MS = 60_000;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface RelaySettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  /** The From header, e.g. "Darkroom <darkroom@example.org>". */
  from: string;
  credentials?: { user: string; pass: string };
  /** CA certificates to trust for the relay's TLS certificate (default: the system's). */
  ca?: Buffer;
}

/** Checks the settings: a From address, a port, and plain SMTP only to a relay on this machine. */
export function checkRelay(settings: RelaySettings): RelaySettings {
  if (!SMTP_SECURITIES.includes(settings.security)) throw new RelayError('RELAY_INVALID', `SMTP security '${settings.security}' is not one of ${SMTP_SECURITIES.join(', ')}`);
  if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65535) throw new RelayError('RELAY_INVALID', `SMTP port '${settings.port}' is not a port number (1-65535)`);
  if (!settings.host) throw new RelayError('RELAY_INVALID', 'No SMTP relay host: give --smtp-host');
  if (!/@[^@\s>]+>?\s*$/.test(settings.from)) throw new RelayError('RELAY_INVALID', `--mail-from '${settings.from}' has no address: give e.g. 'Darkroom <darkroom@example.org>'`);
  if (settings.security === 'none' && !LOOPBACK.has(settings.host)) {
    throw new RelayError('RELAY_INVALID', `Plain SMTP (--smtp-security none) to ${settings.host} would send credentials and metadata in the clear: use starttls or tls, or a relay on 127.0.0.1`);
  }
  return settings;
}

/**
 * Reads the relay credentials: the user name on the first line, the password on the second. The
 * file must not be readable by group or others.
 */
export async function readCredentials(path: string): Promise<{ user: string; pass: string }> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new RelayError('CREDENTIALS_INVALID', `Cannot read the SMTP credentials file ${path}: ${(cause as Error).message}`, { cause });
  });
  if ((info.mode & 0o077) !== 0) throw new RelayError('CREDENTIALS_INVALID', `SMTP credentials file ${path} is readable by group or others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
  const [user, pass] = (await readFile(path, 'utf8')).split(/\r?\n/);
  if (!user || pass === undefined || pass === '') throw new RelayError('CREDENTIALS_INVALID', `SMTP credentials file ${path} must hold the user name on its first line and the password on its second`);
  return { user, pass };
}

/** A pooled nodemailer transport to the relay. */
export function createRelayTransport(settings: RelaySettings): Transporter {
  return nodemailer.createTransport({
    pool: true,
    maxConnections: SMTP_MAX_CONNECTIONS,
    maxMessages: SMTP_MAX_MESSAGES_PER_CONNECTION,
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
    ...(settings.credentials ? { auth: { user: settings.credentials.user, pass: settings.credentials.pass } } : {}),
    ...(settings.ca ? { tls: { ca: settings.ca } } : {}),
  });
}
