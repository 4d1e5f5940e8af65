// `darkroom dashboard`'s web server: hono on Node's http, loopback by default, every request
// through the guard, pages rendered on the server from the maintainer client's data, the stylesheet
// and script served from memory (no asset from the network), and the bundle page's live feed.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { DarkroomError, messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { WireError } from '../../shared/wire/errors.js';
import type { MaintainerHome } from '../home.js';
import { bundleView } from './bundle-view.js';
import { parseFilters } from './filters.js';
import { allowedHosts, cookieNameFor, guard, TOKEN_PARAM } from './guard.js';
import { jobView } from './job-view.js';
import { followBundle } from './live.js';
import { bundleFragment, bundlePage } from './pages/bundle.js';
import { embargoesPage, embargoPage } from './pages/embargoes.js';
import { hardwarePage } from './pages/hardware.js';
import { jobPage } from './pages/job.js';
import { continuePage, errorPage, SCRIPT_PATH, STYLE_PATH } from './pages/layout.js';
import { trailersPage } from './pages/trailers.js';
import { DashboardSource } from './source.js';

export type DashboardErrorCode = 'LISTEN_INVALID';

export class DashboardError extends DarkroomError<DashboardErrorCode> {}

/** Where the dashboard listens unless told otherwise: loopback, a free port. */
export const DEFAULT_LISTEN = '127.0.0.1:0';

/** Sent with every response: nothing inline, nothing from elsewhere, never framed, never cached. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** The served files, next to the sources (this module runs from dist/maintainer/dashboard/). */
const STATIC_DIR = new URL('../../../maintainer/dashboard/static/', import.meta.url);

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:7480`, `[::1]:7480`, `localhost:0`. */
export function parseListen(text: string): ListenAddress {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new DashboardError('LISTEN_INVALID', `--listen '${text}' is not HOST:PORT: use e.g. 127.0.0.1:7480 (port 0 picks a free one)`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** True for addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface RunningDashboard {
  /** The URL to open, with the secret. Print it once. */
  url: string;
  /** The URL without the secret. */
  origin: string;
  port: number;
  close(): Promise<void>;
}

function statusOfError(error: unknown): 404 | 502 {
  return error instanceof WireError && (error.code === 'NOT_FOUND' || error.code === 'NOT_AUTHORIZED') ? 404 : 502;
}

export async function startDashboard(home: MaintainerHome, options: { listen: ListenAddress; logger: Logger; source?: DashboardSource }): Promise<RunningDashboard> {
  const { logger } = options;
  const source = options.source ?? new DashboardSource(home, { logger });
  const who = await source.who();
  const assets = {
    [STYLE_PATH]: { type: 'text/css; charset=utf-8', body: await readFile(new URL('dashboard.css', STATIC_DIR), 'utf8') },
    [SCRIPT_PATH]: { type: 'text/javascript; charset=utf-8', body: await readFile(new URL('dashboard.js', STATIC_DIR), 'utf8') },
  };
  const secret = randomBytes(24).toString('base64url');
  const streams = new Set<AbortController>();
  let config = { secret, hosts: [] as string[], cookieName: '' };

  const app = new Hono();
  app.use(async (c, next) => {
    const decision = guard(config, {
      method: c.req.method, url: c.req.url.replace(/^[a-z]+:\/\/[^/]+/, ''), host: c.req.header('host'),
      origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site'), secFetchMode: c.req.header('sec-fetch-mode'), cookie: c.req.header('cookie'),
    });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    if (decision.kind === 'refuse') {
      logger.warn({ code: decision.code, path: c.req.path, host: c.req.header('host'), origin: c.req.header('origin') }, 'dashboard request refused');
      return c.text(`${decision.code}: ${decision.message}\n`, decision.status);
    }
    if (decision.kind === 'login') {
      c.header('Set-Cookie', decision.setCookie);
      return c.html(String(continuePage(decision.location)));
    }
    await next();
  });
  app.onError((error, c) => {
    logger.warn({ path: c.req.path, err: messageOf(error) }, 'dashboard page failed');
    const title = statusOfError(error) === 404 ? 'Not found' : 'The coordinator could not be read';
    return c.html(String(errorPage({ title, message: messageOf(error), who })), statusOfError(error));
  });

  app.get('/favicon.ico', (c) => c.body(null, 204));
  for (const [path, asset] of Object.entries(assets)) app.get(path, (c) => c.body(asset.body, 200, { 'Content-Type': asset.type }));
  app.get('/', async (c) => c.html(String(embargoesPage(await source.embargoes(), { who }))));
  const embargoNamed = async (name: string) => {
    const summary = (await source.embargoes()).find((candidate) => candidate.name === name);
    if (!summary) throw new WireError('NOT_FOUND', `You maintain no embargo named '${name}': pick one from the list of embargoes`);
    return summary;
  };
  app.get('/embargo/:name', async (c) => c.html(String(embargoPage(await embargoNamed(c.req.param('name')), { who }))));
  app.get('/embargo/:name/hardware', async (c) => {
    const summary = await embargoNamed(c.req.param('name'));
    const reports = [];
    for (const bundle of [...(summary.bundles ?? [])].sort((a, b) => Number(b.createdAtMs ?? 0) - Number(a.createdAtMs ?? 0))) {
      reports.push({ report: await source.report(bundle.bundleId ?? ''), createdAtMs: Number(bundle.createdAtMs ?? 0) });
    }
    return c.html(String(hardwarePage({ summary, reports }, { who })));
  });
  const filtersOf = (c: Context) => parseFilters(c.req.query());
  app.get('/bundle/:id', async (c) => {
    const filters = filtersOf(c);
    return c.html(String(bundlePage(bundleView(await source.bundle(c.req.param('id')), filters), { filters, who })));
  });
  app.get('/bundle/:id/fragment', async (c) => c.html(String(bundleFragment(bundleView(await source.bundle(c.req.param('id')), filtersOf(c))))));
  app.get('/bundle/:id/events', async (c) => {
    const bundleId = c.req.param('id');
    await source.status(bundleId);
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      streams.add(abort);
      stream.onAbort(() => abort.abort());
      try {
        await stream.writeSSE({ event: 'ready', data: bundleId });
        await followBundle(source, bundleId, { send: (message) => stream.writeSSE(message), signal: abort.signal, logger });
      } finally {
        streams.delete(abort);
      }
    });
  });
  app.get('/bundle/:id/job/:job', async (c) => {
    const bundleId = c.req.param('id');
    const jobId = c.req.param('job');
    const job = await source.job(bundleId, jobId);
    return c.html(String(jobPage(jobView({ bundleId, jobId, result: job.result, logs: job.logs }), { who, embargo: job.embargo })));
  });
  app.get('/bundle/:id/trailers', async (c) => {
    const bundleId = c.req.param('id');
    const [{ trailers, refused }, status] = [await source.trailers(bundleId), await source.status(bundleId)];
    return c.html(String(trailersPage({ bundleId, embargo: status.embargo ?? '', trailers, refused }, { who })));
  });
  app.notFound((c) => c.html(String(errorPage({ title: 'Not found', message: `No dashboard page at ${c.req.path}: start from the list of embargoes`, who })), 404));

  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: options.listen.host, port: options.listen.port }, () => resolve(started as Server)) as Server;
    started.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  config = { secret, hosts: allowedHosts(options.listen.host, port), cookieName: cookieNameFor(port) };
  const hostForUrl = options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host;
  const origin = `http://${hostForUrl}:${port}`;
  logger.info({ origin }, 'dashboard listening');
  return {
    url: `${origin}/?${TOKEN_PARAM}=${secret}`,
    origin,
    port,
    close: async () => {
      for (const stream of streams) stream.abort();
      source.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
