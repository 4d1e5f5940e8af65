// Webhook targets as hostile input: https only, no loopback, link-local or private address, by
// literal or by what a name resolves to, unless the operator's flag allows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPrivateAddress, postWebhook, publicOnlyLookup, webhookProblem } from '../../../coordinator/server/webhook-target.js';

const STRICT = { allowPrivate: false };
const LAB = { allowPrivate: true };

test('only public https URLs are webhooks unless the operator allows private ones', () => {
  assert.equal(webhookProblem('https://hooks.example.org/darkroom', STRICT), null);
  const refused: Array<[string, RegExp]> = [
    ['http://hooks.example.org/x', /is not https/],
    ['ftp://hooks.example.org/x', /is not https/],
    ['not a url', /is not a URL/],
    ['https://127.0.0.1:8080/x', /loopback, link-local or private/],
    ['https://localhost/x', /loopback, link-local or private/],
    ['https://[::1]/x', /loopback, link-local or private/],
    ['https://169.254.169.254/latest/meta-data', /loopback, link-local or private/],
    ['https://10.1.2.3/x', /private/],
    ['https://172.20.0.1/x', /private/],
    ['https://192.168.1.1/x', /private/],
    ['https://[fd00::1]/x', /private/],
    ['https://[fe80::1]/x', /private/],
    ['https://[::ffff:127.0.0.1]/x', /private/],
  ];
  for (const [url, expected] of refused) assert.match(webhookProblem(url, STRICT) ?? '', expected, url);
  assert.equal(webhookProblem('http://127.0.0.1:8080/x', LAB), null, 'the operator\'s flag allows a lab receiver');
  assert.match(webhookProblem('ftp://127.0.0.1/x', LAB) ?? '', /not http\(s\)/);
});

test('address classes', () => {
  for (const address of ['127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1']) assert.equal(isPrivateAddress(address), true, address);
  for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2001:4860:4860::8888']) assert.equal(isPrivateAddress(address), false, address);
});

test('a name that resolves to a private address is refused when dialled', async () => {
  const resolved = await new Promise<{ error: NodeJS.ErrnoException | null }>((resolve) => publicOnlyLookup(STRICT)('localhost', {}, (error) => resolve({ error })));
  assert.equal(resolved.error?.code, 'WEBHOOK_PRIVATE_ADDRESS');
  const allowed = await new Promise<{ error: NodeJS.ErrnoException | null }>((resolve) => publicOnlyLookup(LAB)('localhost', {}, (error) => resolve({ error })));
  assert.equal(allowed.error, null);
});

test('a POST to a loopback receiver is refused without the flag and delivered with it', async (t) => {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      bodies.push(body);
      response.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  await assert.rejects(postWebhook(url, '{"kind":"x"}', { policy: STRICT, timeoutMs: 5_000 }), /is not https/);
  assert.deepEqual(bodies, [], 'nothing reached the receiver');
  assert.equal(await postWebhook(url, '{"kind":"x"}', { policy: LAB, timeoutMs: 5_000 }), 204);
  assert.deepEqual(bodies, ['{"kind":"x"}']);
});
