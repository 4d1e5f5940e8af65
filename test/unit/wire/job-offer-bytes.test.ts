import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { decodeEnvelope, encodeEnvelope } from '../../../shared/wire/frame.js';
import { JobOfferEncoder, type JobOfferInit } from '../../../shared/wire/job-offer-bytes.js';

const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) % 256);

function offerTo(agent: number, bundleId: string): JobOfferInit {
  return {
    jobId: `${agent}`.padStart(32, 'a'), bundleId, embargo: 'CVE-1', tree: agent % 2 ? 'linux-6.1.y' : 'mainline', attempt: 1 + agent,
    header: bytes(330, 1), stanza: bytes(180, agent), payloadBytes: 1_000_000, deadlineMs: 1_900_000_000_000, workloads: ['ltp', 'kselftest'],
    maintainers: [{ name: 'm', role: darkroom.v1.Role.ROLE_MAINTAINER, signKey: bytes(32, 7), boxKey: bytes(32, 9), fingerprint: 'fp' }], runBase: true,
  };
}

test('an offer encoded as shared part and own part decodes exactly as the offer encoded whole', () => {
  const encoder = new JobOfferEncoder();
  for (const [agent, bundle] of [[1, 'b1'], [2, 'b1'], [3, 'b2'], [0, 'b2']] as const) {
    const offer = offerTo(agent, bundle);
    const split = decodeEnvelope(encoder.envelope(offer));
    const whole = decodeEnvelope(encodeEnvelope({ jobOffer: offer }));
    assert.equal(split.body, 'jobOffer');
    assert.deepEqual(darkroom.v1.Envelope.toObject(split, { defaults: true, bytes: String }), darkroom.v1.Envelope.toObject(whole, { defaults: true, bytes: String }));
    assert.equal(encoder.envelope(offer).length, encodeEnvelope({ jobOffer: offer }).length, 'same fields, same size');
  }
});

test('a first attempt with an empty job id and stanza still decodes as the whole offer', () => {
  const offer = { ...offerTo(2, 'b3'), jobId: '', stanza: new Uint8Array(), attempt: 0, workloads: [], maintainers: [], runBase: false };
  const split = decodeEnvelope(new JobOfferEncoder().envelope(offer));
  assert.deepEqual(darkroom.v1.Envelope.toObject(split, { defaults: true, bytes: String }), darkroom.v1.Envelope.toObject(decodeEnvelope(encodeEnvelope({ jobOffer: offer })), { defaults: true, bytes: String }));
});
