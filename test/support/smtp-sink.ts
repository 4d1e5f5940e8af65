// A real SMTP server on loopback (smtp-server) standing in for the operator's relay: it keeps every
// message it accepted, and can be stopped and started again on the same port (the relay down, then back).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface AcceptedMail {
  to: string[];
  messageId: string;
  raw: string;
  acceptedAt: number;
}

export interface SmtpSink {
  port: number;
  mails: AcceptedMail[];
  /** Resolves when `count` mails in all have been accepted. */
  waitFor(count: number): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Called with each accepted mail (the bench timestamps them). */
  onMail?: (mail: AcceptedMail) => void;
}

/** A stopped relay drops the client's pooled connections at once instead of waiting for them. */
const CLOSE_TIMEOUT_MS = 100;

function newServer(sink: SmtpSink, wake: () => void): SMTPServer {
  return new SMTPServer({
    authOptional: true,
    closeTimeout: CLOSE_TIMEOUT_MS,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail = { to: session.envelope.rcptTo.map((rcpt) => rcpt.address), messageId: /^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? '', raw, acceptedAt: performance.now() };
        sink.mails.push(mail);
        sink.onMail?.(mail);
        wake();
        callback();
      });
    },
  });
}

export async function startSmtpSink(port = 0): Promise<SmtpSink> {
  let server: SMTPServer | null = null;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (sink.mails.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const sink: SmtpSink = {
    port,
    mails: [],
    waitFor: (count) => new Promise((resolve) => {
      waiters.push({ count, resolve });
      wake();
    }),
    start: async () => {
      server = newServer(sink, wake);
      server.listen(sink.port, '127.0.0.1');
      await once(server.server, 'listening');
      sink.port = (server.server.address() as AddressInfo).port;
    },
    stop: async () => {
      const running = server;
      server = null;
      if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
    },
  };
  await sink.start();
  return sink;
}
