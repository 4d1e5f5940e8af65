import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { nacl } from '../../../shared/crypto/index.js';
import { fingerprint, generateIdentity } from '../../../shared/identity.js';
import { ClientHandshake, ServerHandshake } from '../../../shared/wire/handshake.js';
import { decodeEnvelope, decodeFrame, encodeEnvelope, encodeFrame } from '../../../shared/wire/frame.js';

const server = generateIdentity();
const client = generateIdentity();
const pinned = fingerprint(server);
const options = { nacl, identity: client, role: darkroom.v1.Role.ROLE_AGENT, purpose: darkroom.v1.Purpose.PURPOSE_CONNECT, pinnedFingerprint: pinned, software: 'test' };

function handshake() {
  const c = new ClientHandshake(options);
  const s = new ServerHandshake(nacl, server);
  const hello = c.hello();
  const challenge = s.hello(hello);
  const { proof, cipher: clientCipher } = c.challenge(challenge);
  const { peer, cipher: serverCipher } = s.proof(proof);
  return { hello, challenge, proof, peer, clientCipher, serverCipher };
}

test('both sides authenticate and share a session in each direction', () => {
  const { peer, clientCipher, serverCipher } = handshake();
  assert.equal(peer.fingerprint, fingerprint(client));
  const message = encodeEnvelope({ requestId: 7, heartbeat: { sentAtMs: 1 } });
  assert.deepEqual(decodeEnvelope(serverCipher.open(clientCipher.seal(message))).requestId, 7);
  assert.deepEqual(decodeEnvelope(clientCipher.open(serverCipher.seal(message))).heartbeat?.sentAtMs, 1);
});

test('a recorded hello and proof replayed on a new connection are refused', () => {
  const recorded = handshake();
  const fresh = new ServerHandshake(nacl, server);
  fresh.hello(recorded.hello);
  assert.throws(() => fresh.proof(recorded.proof), { code: 'HANDSHAKE_FAILED' });
});

test('a client presenting a box key it does not hold is refused, whatever the purpose; a proof without the box proof too', () => {
  const victim = generateIdentity();
  for (const purpose of [darkroom.v1.Purpose.PURPOSE_ENROLL, darkroom.v1.Purpose.PURPOSE_CONNECT]) {
    const c = new ClientHandshake({ ...options, purpose, identity: { ...client, boxKey: victim.boxKey } });
    const s = new ServerHandshake(nacl, server);
    const { proof } = c.challenge(s.hello(c.hello()));
    assert.throws(() => s.proof(proof), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'HANDSHAKE_FAILED');
      assert.match(error.message, /did not prove possession of the box key it presented/);
      return true;
    });
  }
  const c = new ClientHandshake(options);
  const s = new ServerHandshake(nacl, server);
  const { proof } = c.challenge(s.hello(c.hello()));
  const bare = encodeFrame({ proof: { signature: decodeFrame(proof).proof!.signature! } });
  assert.throws(() => s.proof(bare), /box_proof must be 32 bytes, got 0/);
});

test('a client presenting a signing key it does not hold is refused', () => {
  const victim = generateIdentity();
  const c = new ClientHandshake({ ...options, purpose: darkroom.v1.Purpose.PURPOSE_ENROLL, identity: { ...client, signKey: victim.signKey } });
  const s = new ServerHandshake(nacl, server);
  const { proof } = c.challenge(s.hello(c.hello()));
  assert.throws(() => s.proof(proof), /did not prove possession of the signing key it presented/);
});

test('an impostor coordinator is refused by the client', () => {
  const c = new ClientHandshake(options);
  const impostor = new ServerHandshake(nacl, generateIdentity());
  assert.throws(() => c.challenge(impostor.hello(c.hello())), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'HANDSHAKE_FAILED');
    assert.match(error.message, /impostor/);
    return true;
  });
});

test('a challenge re-signed over another transcript is refused', () => {
  const c = new ClientHandshake(options);
  c.hello();
  const other = new ClientHandshake(options);
  const challenge = new ServerHandshake(nacl, server).hello(other.hello());
  assert.throws(() => c.challenge(challenge), { code: 'HANDSHAKE_FAILED' });
});

test('sealed frames that are altered, replayed or reordered fail to open', () => {
  const { clientCipher, serverCipher } = handshake();
  const first = clientCipher.seal(encodeEnvelope({ requestId: 1, heartbeat: {} }));
  const second = clientCipher.seal(encodeEnvelope({ requestId: 2, heartbeat: {} }));
  assert.throws(() => serverCipher.open(second), { code: 'SESSION_BROKEN' });
  const altered = Uint8Array.from(first);
  altered[altered.length - 1]! ^= 0x80;
  assert.throws(() => serverCipher.open(altered), { code: 'SESSION_BROKEN' });
  assert.equal(decodeEnvelope(serverCipher.open(first)).requestId, 1);
  assert.throws(() => serverCipher.open(first), { code: 'SESSION_BROKEN' });
});

test('malformed, oversized, versionless and unknown frames are clear errors', () => {
  assert.throws(() => decodeFrame(new Uint8Array([0xff, 0xff, 0xff])), { code: 'MALFORMED_FRAME' });
  assert.throws(() => decodeFrame(new Uint8Array(5000), 4096), { code: 'FRAME_TOO_LARGE' });
  assert.throws(() => decodeFrame(darkroom.v1.Frame.encode({ version: 9, proof: {} }).finish()), { code: 'UNSUPPORTED_VERSION' });
  const unknownField = Uint8Array.from([...encodeFrame({}), 0xfa, 0x01, 0x00]);
  assert.throws(() => decodeFrame(unknownField), { code: 'UNKNOWN_MESSAGE' });
  assert.throws(() => decodeEnvelope(new Uint8Array([0x08, 0x01])), { code: 'UNKNOWN_MESSAGE' });
});
