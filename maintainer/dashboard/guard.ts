// Who may use the local dashboard (threat-model row 26): a request must name an allowed Host (DNS
// rebinding), only read (GET/HEAD), and carry the secret: either the printed URL's (a navigation,
// answered by setting an HttpOnly, SameSite=Strict cookie) or that cookie, from the dashboard's
// own pages or a typed URL only (a cross-origin or same-site request is refused). Pure.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The query parameter of the printed URL that carries the secret. */
export const TOKEN_PARAM = 'token';

export type GuardRefusal = 'HOST_REFUSED' | 'CROSS_ORIGIN' | 'METHOD_REFUSED' | 'SECRET_MISSING';

export interface GuardConfig {
  secret: string;
  /** host:port values the server answers to, e.g. 127.0.0.1:7480, localhost:7480. */
  hosts: readonly string[];
  cookieName: string;
}

export interface GuardRequest {
  method: string;
  /** The path with its query string, as requested. */
  url: string;
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  secFetchMode: string | undefined;
  cookie: string | undefined;
}

export type GuardDecision =
  | { kind: 'allow' }
  /** The secret of the printed URL: keep it in the cookie, then go on from a page of this origin. */
  | { kind: 'login'; setCookie: string; location: string }
  | { kind: 'refuse'; status: 400 | 401 | 403 | 405; code: GuardRefusal; message: string };

/** The host:port forms a loopback listener on `port` answers to; `listenHost` is added when it is another name. */
export function allowedHosts(listenHost: string, port: number): string[] {
  const bracketed = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
  return [...new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${bracketed}:${port}`])];
}

/** One cookie per port: two dashboards on one machine keep their own secrets. */
export function cookieNameFor(port: number): string {
  return `darkroom_dashboard_${port}`;
}

function sameSecret(given: string, secret: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const refuse = (status: 400 | 401 | 403 | 405, code: GuardRefusal, message: string): GuardDecision => ({ kind: 'refuse', status, code, message });

export function guard(config: GuardConfig, request: GuardRequest): GuardDecision {
  const host = (request.host ?? '').toLowerCase();
  if (!config.hosts.includes(host)) {
    return refuse(403, 'HOST_REFUSED', `Host '${request.host ?? ''}' is not this dashboard's address: open the URL 'darkroom dashboard' printed`);
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return refuse(405, 'METHOD_REFUSED', `${request.method} is refused: the dashboard only reads; change things with the darkroom commands`);
  }
  const url = new URL(request.url, 'http://dashboard.invalid');
  const token = url.searchParams.get(TOKEN_PARAM);
  const navigation = request.secFetchMode === undefined || request.secFetchMode === 'navigate';
  if (token !== null && navigation && sameSecret(token, config.secret)) {
    url.searchParams.delete(TOKEN_PARAM);
    return { kind: 'login', setCookie: `${config.cookieName}=${config.secret}; HttpOnly; SameSite=Strict; Path=/`, location: `${url.pathname}${url.search}` };
  }
  if (request.origin !== undefined && !config.hosts.some((allowed) => request.origin === `http://${allowed}`)) {
    return refuse(403, 'CROSS_ORIGIN', `A request from ${request.origin} is refused: the dashboard answers only its own pages`);
  }
  if (request.secFetchSite !== undefined && request.secFetchSite !== 'same-origin' && request.secFetchSite !== 'none') {
    return refuse(403, 'CROSS_ORIGIN', `A ${request.secFetchSite} request is refused: the dashboard answers only its own pages`);
  }
  const cookie = cookieValue(request.cookie, config.cookieName);
  if (cookie !== undefined && sameSecret(cookie, config.secret)) return { kind: 'allow' };
  return refuse(401, 'SECRET_MISSING', 'This dashboard needs the secret of the URL it printed: open that URL (or run darkroom dashboard again)');
}
