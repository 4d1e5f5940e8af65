// A submit through the maintainer client reaches 100 subscribed maintainer connections and a real
// webhook receiver, with metadata only; a maintainer outside the embargo hears nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { darkroom } from '../../proto/darkroom.js';
import { smallPatch, tempDir } from '../support/bundle-fixture.js';
import { CROWD_EMBARGO, CROWD_TREE, startCrowd } from '../support/maintainer-crowd.js';

const CROWD_SIZE = 100;
/** Series lines shorter than this are generic ("{", "}") and could occur by chance in a bundle id. */
const MIN_SECRET_LINE = 8;
const DESCRIPTION = 'ring: DESCRIPTION-MARKER keep the overflow quiet until the embargo lifts';
const METADATA_FIELDS = new Set(['kind', 'embargo', 'bundleId', 'jobId', 'agent', 'hardwareClass', 'status', 'atMs', 'tree', 'stage', 'stageEvent']);

interface Webhook {
  url: string;
  bodies: Buffer[];
  first: Promise<void>;
  close(): Promise<void>;
}

async function startWebhook(): Promise<Webhook> {
  const bodies: Buffer[] = [];
  let heard: () => void = () => undefined;
  const first = new Promise<void>((resolve) => { heard = resolve; });
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      response.writeHead(204).end();
      heard();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/darkroom`, bodies, first, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function assertNoContent(bytes: Buffer, secrets: string[], what: string): void {
  for (const secret of secrets) assert.equal(bytes.includes(secret), false, `${what} carries '${secret}'`);
}

test('BUNDLE_SUBMITTED reaches 100 subscribed maintainer connections and a webhook, without content', async (t) => {
  const crowd = await startCrowd(await tempDir(t, 'dr-notify-'), { size: CROWD_SIZE });
  t.after(() => crowd.close());
  const webhook = await startWebhook();
  t.after(() => webhook.close());

  const received = crowd.watchers.map((channel) => new Promise<darkroom.v1.Envelope>((resolve) => channel.handle((envelope) => {
    if (envelope.notification?.kind === darkroom.v1.NotificationKind.BUNDLE_SUBMITTED) resolve(envelope);
  })));
  const outsiderHeard: darkroom.v1.Envelope[] = [];
  crowd.outsider.handle((envelope) => { outsiderHeard.push(envelope); });

  const [hooked, ...rest] = crowd.watchers;
  const stored = await hooked!.request({ subscribe: { embargoes: [CROWD_EMBARGO], webhook: webhook.url } });
  assert.deepEqual(stored.subscribed!.embargoes, [CROWD_EMBARGO]);
  const replies = await Promise.all(rest.map((channel, index) => channel.request({ subscribe: index % 2 === 0 ? { all: true } : { embargoes: [CROWD_EMBARGO] } })));
  for (const reply of replies) assert.deepEqual(reply.subscribed!.embargoes, [CROWD_EMBARGO]);
  assert.deepEqual((await crowd.outsider.request({ subscribe: { all: true } })).subscribed!.embargoes, []);

  const patch = smallPatch(DESCRIPTION.replace(/^ring: /, ''));
  const submitted = await crowd.submit(patch);
  const envelopes = await Promise.all(received);
  await webhook.first;

  const secrets = Buffer.from(patch).toString('utf8').split('\n').map((line) => line.trim()).filter((line) => line.length >= MIN_SECRET_LINE);
  assert.ok(secrets.includes(`Subject: [PATCH] ${DESCRIPTION}`));
  assert.equal(envelopes.length, CROWD_SIZE);
  for (const envelope of envelopes) {
    const notification = envelope.notification!;
    assert.equal(notification.bundleId, submitted.bundleId);
    assert.equal(notification.embargo, CROWD_EMBARGO);
    assert.equal(notification.tree, CROWD_TREE);
    const fields = Object.keys(darkroom.v1.Notification.toObject(notification as darkroom.v1.Notification));
    assert.deepEqual(fields.filter((field) => !METADATA_FIELDS.has(field)), []);
    assertNoContent(Buffer.from(darkroom.v1.Envelope.encode(envelope).finish()), secrets, 'a pushed notification');
    assertNoContent(Buffer.from(JSON.stringify(darkroom.v1.Notification.toObject(notification as darkroom.v1.Notification))), secrets, 'a pushed notification as JSON');
  }

  assert.equal(webhook.bodies.length, 1);
  const body = webhook.bodies[0]!;
  assertNoContent(body, secrets, 'the webhook body');
  const posted = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(posted, { kind: 'BUNDLE_SUBMITTED', embargo: CROWD_EMBARGO, bundleId: submitted.bundleId, tree: CROWD_TREE, atMs: posted.atMs });
  assert.equal(typeof posted.atMs, 'number');

  // The notifier pushes to every live subscription in one pass, so anything meant for the outsider
  // was queued before this round-trip's request and would arrive before its answer.
  assert.ok((await crowd.outsider.request({ heartbeat: { sentAtMs: Date.now() } })).heartbeatAck);
  assert.deepEqual(outsiderHeard, []);
});
