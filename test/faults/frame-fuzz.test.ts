// THREAT-MODEL 10, the decoders alone: every frame and envelope decoder the coordinator and the
// agent run on bytes from the network (shared/wire/frame, the handshake's three steps, the sealed
// session) is fed mutants of valid frames and random bytes. Each input is either decoded or refused
// with a WireError; nothing else may escape, and nothing decoded holds more bytes than it read.
// The seed is printed; DARKROOM_FUZZ_SEED=<seed> replays a run input for input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../proto/darkroom.js';
import { nacl } from '../../shared/crypto/index.js';
import { fingerprint as fingerprintOf, generateIdentity } from '../../shared/identity.js';
import { WireError } from '../../shared/wire/errors.js';
import { decodeEnvelope, decodeFrame, encodeEnvelope, encodeFrame, MAX_HANDSHAKE_FRAME_BYTES, type EnvelopeInit } from '../../shared/wire/frame.js';
import { ClientHandshake, ServerHandshake } from '../../shared/wire/handshake.js';
import { SOFTWARE } from '../../shared/version.js';
import { bytesHeld, FUZZ_SEED_ENV, fuzzSeed, mutate, MUTATIONS, Prng } from '../support/fuzz.js';

/** Inputs per decoder: bounded in count… */
const INPUTS_PER_DECODER = 4_000;
/** …and in time, so a slow machine runs fewer rather than blocking CI. */
const BUDGET_PER_DECODER_MS = 4_000;

const seed = fuzzSeed();

/** A handshake run to the end, with every frame it produced and the two sessions it made. */
function handshake() {
  const coordinator = generateIdentity();
  const client = new ClientHandshake({ nacl, identity: generateIdentity(), role: darkroom.v1.Role.ROLE_AGENT, purpose: darkroom.v1.Purpose.PURPOSE_CONNECT, pinnedFingerprint: fingerprintOf(coordinator), software: SOFTWARE });
  const server = new ServerHandshake(nacl, coordinator);
  const hello = client.hello();
  const challenge = server.hello(hello);
  const clientSide = client.challenge(challenge);
  const serverSide = server.proof(clientSide.proof);
  return { coordinator, client, hello, challenge, proof: clientSide.proof, clientCipher: clientSide.cipher, serverCipher: serverSide.cipher };
}

/** Valid envelopes of the kinds both sides exchange after the handshake. */
const ENVELOPES: EnvelopeInit[] = [
  { requestId: 7, heartbeat: { sentAtMs: Date.now(), runningJobIds: ['a'.repeat(32), 'b'.repeat(32)] } },
  { heartbeatAck: { sentAtMs: 1, serverTimeMs: 2 } },
  { declaration: { hardwareClass: 'x86_64/AMD/EPYC-7763', trees: [{ name: 'linux' }], workloads: [{ name: 'ltp', format: 'tap' }], concurrency: 2, software: SOFTWARE } },
  { jobOffer: { jobId: 'c'.repeat(32), bundleId: 'd'.repeat(32), embargo: 'CVE-1', tree: 'linux', attempt: 1, header: new Uint8Array(300).fill(3), stanza: new Uint8Array(120).fill(4), payloadBytes: 1000, maintainers: [{ name: 'alice', signKey: new Uint8Array(32), boxKey: new Uint8Array(32) }] } },
  { resultSubmit: { signed: { result: new Uint8Array(200).fill(5), signature: new Uint8Array(64).fill(6) } } },
  { resultAck: { jobId: 'c'.repeat(32), attempt: 1, resultId: 'e'.repeat(32), duplicate: false } },
  { requestId: 3, bundleRequest: { bundleId: 'd'.repeat(32), offset: 4096, maxBytes: 1 << 20 } },
  { bundleChunk: { bundleId: 'd'.repeat(32), offset: 0, data: new Uint8Array(2048).fill(7), last: true } },
  { error: { code: darkroom.v1.ErrorCode.REVOKED, message: 'revoked', fatal: true } },
];

type Outcome = 'decoded' | 'refused';

/**
 * Feeds mutants of `corpus` to `decode`; fails on anything but a value or a WireError, naming the
 * seed and the input. A returned value (a decoder's output, not a handshake's reply) is held to the
 * bytes it read.
 */
function fuzz(name: string, corpus: Uint8Array[], decode: (bytes: Uint8Array) => unknown): Record<Outcome, number> {
  const rng = new Prng(seed ^ hash(name));
  const counts: Record<Outcome, number> = { decoded: 0, refused: 0 };
  const deadline = Date.now() + BUDGET_PER_DECODER_MS;
  for (let i = 0; i < INPUTS_PER_DECODER && Date.now() < deadline; i++) {
    const how = rng.pick(MUTATIONS);
    const input = mutate(rng.pick(corpus), how, rng);
    const replay = `${name}, input ${i} (${how}), replay with ${FUZZ_SEED_ENV}=${seed}: ${Buffer.from(input).toString('hex').slice(0, 200)}`;
    try {
      const decoded = decode(input);
      assert.ok(bytesHeld(decoded) <= input.length, `Decoded value holds more bytes than it read: ${replay}`);
      counts.decoded++;
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      assert.ok(error instanceof WireError, `Decoder threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message} at ${replay}`);
      assert.match(error.message, /^[A-Z]/, `Refusal messages are sentences: ${replay}`);
      counts.refused++;
    }
  }
  return counts;
}

function hash(text: string): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

test('the frame decoder decodes or refuses every mutant of every frame kind, and random bytes', (t) => {
  t.diagnostic(`${FUZZ_SEED_ENV}=${seed}`);
  const h = handshake();
  const corpus = [h.hello, h.challenge, h.proof, encodeFrame({ error: { code: 6, message: 'no', fatal: true } }), ...ENVELOPES.map((e) => encodeFrame({ sealed: h.clientCipher.seal(encodeEnvelope(e)) }))];
  const small = fuzz('decodeFrame (handshake limit)', corpus, (bytes) => decodeFrame(bytes, MAX_HANDSHAKE_FRAME_BYTES));
  const large = fuzz('decodeFrame', corpus, (bytes) => decodeFrame(bytes));
  t.diagnostic(`handshake limit: ${JSON.stringify(small)}; session limit: ${JSON.stringify(large)}`);
  assert.ok(small.refused > 0 && large.decoded > 0, 'the mutants reach both outcomes');
});

test('the envelope decoder decodes or refuses every mutant of every message the peers exchange', (t) => {
  t.diagnostic(`${FUZZ_SEED_ENV}=${seed}`);
  const counts = fuzz('decodeEnvelope', ENVELOPES.map((e) => encodeEnvelope(e)), (bytes) => decodeEnvelope(bytes));
  t.diagnostic(JSON.stringify(counts));
  assert.ok(counts.refused > 0 && counts.decoded > 0);
});

test('the coordinator\'s handshake (hello, then proof) decodes or refuses every mutant, and accepts no altered signature', (t) => {
  t.diagnostic(`${FUZZ_SEED_ENV}=${seed}`);
  const h = handshake();
  const hellos = fuzz('ServerHandshake.hello', [h.hello], (bytes) => {
    new ServerHandshake(nacl, h.coordinator).hello(bytes);
  });
  const server = new ServerHandshake(nacl, h.coordinator);
  const client = new ClientHandshake({ nacl, identity: generateIdentity(), role: darkroom.v1.Role.ROLE_AGENT, purpose: darkroom.v1.Purpose.PURPOSE_CONNECT, pinnedFingerprint: fingerprintOf(h.coordinator), software: SOFTWARE });
  const proof = client.challenge(server.hello(client.hello())).proof;
  const signature = Buffer.from(decodeFrame(proof, MAX_HANDSHAKE_FRAME_BYTES).proof!.signature!);
  const proofs = fuzz('ServerHandshake.proof', [proof], (bytes) => {
    server.proof(bytes);
    assert.ok(signature.equals(Buffer.from(decodeFrame(bytes, MAX_HANDSHAKE_FRAME_BYTES).proof!.signature!)), `an accepted proof carries the client's own signature (seed ${seed})`);
  });
  t.diagnostic(`hello: ${JSON.stringify(hellos)}; proof: ${JSON.stringify(proofs)}`);
  assert.ok(hellos.refused > 0 && proofs.refused > 0);
});

test('the agent\'s handshake (challenge) decodes or refuses every mutant, and accepts no altered challenge', (t) => {
  t.diagnostic(`${FUZZ_SEED_ENV}=${seed}`);
  const coordinator = generateIdentity();
  const pinned = fingerprintOf(coordinator);
  const fresh = () => {
    const client = new ClientHandshake({ nacl, identity: generateIdentity(), role: darkroom.v1.Role.ROLE_AGENT, purpose: darkroom.v1.Purpose.PURPOSE_CONNECT, pinnedFingerprint: pinned, software: SOFTWARE });
    return { client, challenge: new ServerHandshake(nacl, coordinator).hello(client.hello()) };
  };
  const pair = fresh();
  const signed = decodeFrame(pair.challenge, MAX_HANDSHAKE_FRAME_BYTES).challenge!;
  const counts = fuzz('ClientHandshake.challenge', [pair.challenge], (bytes) => {
    const accepted = pair.client.challenge(bytes);
    const seen = decodeFrame(bytes, MAX_HANDSHAKE_FRAME_BYTES).challenge!;
    for (const field of ['serverSignKey', 'serverBoxKey', 'ephemeralKey', 'nonce', 'signature'] as const) {
      assert.ok(Buffer.from(seen[field] ?? []).equals(Buffer.from(signed[field] ?? [])), `an accepted challenge carries the signed ${field} (seed ${seed})`);
    }
    assert.ok(accepted.proof.length > 0);
  });
  t.diagnostic(JSON.stringify(counts));
  assert.ok(counts.refused > 0);
});

test('the sealed session opens only the frames it sealed, in order; every mutant is SESSION_BROKEN', (t) => {
  t.diagnostic(`${FUZZ_SEED_ENV}=${seed}`);
  const h = handshake();
  const sealed = ENVELOPES.map((e) => h.clientCipher.seal(encodeEnvelope(e)));
  const counts = fuzz('SessionCipher.open', sealed.map((s) => Uint8Array.from(s)), (bytes) => decodeEnvelope(h.serverCipher.open(bytes)));
  t.diagnostic(JSON.stringify(counts));
  assert.ok(counts.decoded <= 1, 'at most the one frame due next opens');
});
