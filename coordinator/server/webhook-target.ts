// Where the coordinator may POST a webhook: https only, and never to loopback, link-local or
// private addresses (the coordinator's own machine and network), unless its operator allows them
// (`coordinator serve --allow-private-webhooks`). Checked when a maintainer subscribes, and again
// on every connection, on the address actually dialled, so a name that later resolves elsewhere
// (DNS rebinding) is refused too.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Addresses a webhook may not reach without the operator's flag. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, prefix, 'ipv6');

export interface WebhookPolicy {
  /** The operator's flag: http:// and private, loopback and link-local addresses are allowed. */
  allowPrivate: boolean;
}

/** Whether `address` (a literal IPv4 or IPv6 address) is loopback, link-local, private or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  return family === 0 || PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why `url` may not be a webhook under `policy`, or null when it may. Names are checked again when dialled. */
export function webhookProblem(url: string, policy: WebhookPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `Webhook '${url}' is not a URL: give an https:// address`;
  }
  if (policy.allowPrivate) return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? null : `Webhook '${url}' is not http(s): give an https:// address`;
  if (parsed.protocol !== 'https:') return `Webhook '${url}' is not https: give an https:// address (plain http is allowed only when the coordinator's operator runs it with --allow-private-webhooks)`;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host))) {
    return `Webhook '${url}' points at a loopback, link-local or private address: give a public https:// address (the coordinator's operator may allow private ones with --allow-private-webhooks)`;
  }
  return null;
}

/**
 * A DNS lookup for http(s).request that fails when any address a name resolves to is private, so
 * the check holds for the address the connection is actually made to.
 */
export function publicOnlyLookup(policy: WebhookPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = policy.allowPrivate ? undefined : addresses.find((entry) => isPrivateAddress(entry.address));
      if (refused) return callback(Object.assign(new Error(`Webhook host ${hostname} resolves to the private address ${refused.address}: refused`), { code: 'WEBHOOK_PRIVATE_ADDRESS' }), '', 0);
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * POSTs `body` as JSON to `url` under `policy` (checked first, and on the address dialled);
 * resolves with the HTTP status, rejects when refused, unreachable or slower than `timeoutMs`.
 */
export function postWebhook(url: string, body: string, options: { policy: WebhookPolicy; timeoutMs: number }): Promise<number> {
  const problem = webhookProblem(url, options.policy);
  if (problem) return Promise.reject(new Error(problem));
  const request = new URL(url).protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const sent = request(url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      lookup: publicOnlyLookup(options.policy), timeout: options.timeoutMs,
    }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    sent.on('timeout', () => sent.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    sent.on('error', reject);
    sent.end(body);
  });
}
