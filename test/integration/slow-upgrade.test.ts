// Slow-loris before the WebSocket handshake: a TCP connection that drips an HTTP upgrade request and
// never finishes it is closed at the handshake time-out, over ws:// and wss://; a client that
// completed its upgrade is never touched by that timer.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { darkroom } from '../../proto/darkroom.js';
import { silentLogger } from '../../shared/log.js';
import { connect } from '../../transport/connect.js';
import { tempDir } from '../support/bundle-fixture.js';
import { declaration, enrol, issueToken, startLab, type Lab } from '../support/coordinator-lab.js';

const HANDSHAKE_TIMEOUT_MS = 400;
/** How long the test outwaits the time-out to show an upgraded client is left alone. */
const OUTWAIT_MS = HANDSHAKE_TIMEOUT_MS * 4;
const SLOW_CLIENTS = 16;

/**
 * Drips an upgrade request a byte at a time, then header lines forever; resolves when the server
 * closes it, with whether the connection (and its TLS handshake) had been established.
 */
function slowLoris(open: () => Socket, ready: 'connect' | 'secureConnect'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = open();
    let established = false;
    socket.once(ready, () => (established = true));
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
    let sent = 0;
    const drip = setInterval(() => socket.write(sent < request.length ? request.subarray(sent, ++sent) : 'X-Slow: yes\r\n'), 50);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      resolve(established);
    });
  });
}

async function selfSignedCertificate(t: TestContext): Promise<{ cert: Buffer; key: Buffer }> {
  const dir = await tempDir(t, 'dr-tls-');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  return { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) };
}

/** An enrolled agent connects, outwaits the time-out, and still gets a heartbeat answered. */
async function assertUpgradedClientStays(lab: Lab): Promise<void> {
  const { identity } = await enrol(lab, 'agent', issueToken(lab, 'agent', `steady-${Date.now()}`), declaration(['linux']));
  const { channel } = await connect({ url: lab.coordinator.url, identity, role: darkroom.v1.Role.ROLE_AGENT, fingerprint: lab.coordinator.fingerprint, logger: silentLogger, ...(lab.ca ? { ca: lab.ca } : {}) });
  try {
    await new Promise((resolve) => setTimeout(resolve, OUTWAIT_MS));
    assert.equal(channel.closed, false, 'the upgraded connection is still open');
    assert.ok((await channel.request({ heartbeat: { sentAtMs: Date.now(), runningJobIds: [] } })).heartbeatAck);
  } finally {
    channel.close();
  }
}

test('over ws:// a dripped upgrade request is closed at the handshake time-out; an upgraded client stays', async (t) => {
  const lab = await startLab(t, { limits: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } });
  const established = await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => slowLoris(() => tcpConnect(lab.coordinator.port, '127.0.0.1'), 'connect')));
  assert.deepEqual(established, established.map(() => true), 'each slow client was connected before it was closed');
  await assertUpgradedClientStays(lab);
});

test('over wss:// the same holds once the TLS handshake is done', async (t) => {
  const tls = await selfSignedCertificate(t);
  const lab = await startLab(t, { tls, limits: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } });
  assert.match(lab.coordinator.url, /^wss:/);
  const established = await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => slowLoris(() => tlsConnect({ port: lab.coordinator.port, host: '127.0.0.1', ca: tls.cert }), 'secureConnect')));
  assert.deepEqual(established, established.map(() => true), 'each slow client finished its TLS handshake before it was closed');
  await assertUpgradedClientStays(lab);
});
