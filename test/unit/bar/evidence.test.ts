// Tested-by trailers list exactly the testers whose latest results passed; an exported result
// verifies offline against the agent's fingerprint, and any alteration of it fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { fingerprint, generateIdentity, type Identity } from '../../../shared/identity.js';
import { ResultError, signResult } from '../../../shared/result.js';
import { ResultFileError, resultFileOf, verifyResultFile } from '../../../shared/result-file.js';
import { statusToProto, type Status } from '../../../shared/status.js';
import { trailersOf, type VerifiedResult } from '../../../maintainer/trailers.js';

function verified(identity: Identity, o: { agent: string; contact: string; status: Status; jobId?: string; attempt?: number }): VerifiedResult {
  const parts = signResult({
    jobId: o.jobId ?? `job-${o.agent}`, attempt: o.attempt ?? 1, bundleId: 'b'.repeat(32), agentName: o.agent, tree: 'ringbuf', hardwareClass: 'x86_64/test',
    stages: [{ name: 'apply', status: statusToProto('PASS') }, { name: 'workload:unit', status: statusToProto(o.status), baseStatus: 'PASS', cases: [{ name: 'sum', status: statusToProto(o.status), baseStatus: 'PASS' }] }],
    status: statusToProto(o.status),
  }, identity);
  return { parts, agent: o.agent, contact: o.contact, fingerprint: fingerprint(identity), boxKey: identity.boxKey };
}

test('trailers: one Tested-by per tester whose latest results all passed, each with its result references', () => {
  const alice = generateIdentity();
  const bob = generateIdentity();
  const carol = generateIdentity();
  const dave = generateIdentity();
  const results = [
    verified(alice, { agent: 'lab-a', contact: 'Alice <alice@example.org>', status: 'PASS' }),
    verified(bob, { agent: 'lab-b', contact: 'bob@example.org', status: 'ERROR', attempt: 1 }),
    verified(bob, { agent: 'lab-b', contact: 'bob@example.org', status: 'PASS', attempt: 2 }),
    verified(carol, { agent: 'lab-c', contact: 'Carol <carol@example.org>', status: 'FAIL' }),
    verified(dave, { agent: 'lab-d1', contact: 'Dave <dave@example.org>', status: 'PASS' }),
    verified(dave, { agent: 'lab-d2', contact: 'Dave <dave@example.org>', status: 'FAIL' }),
  ];
  const trailers = trailersOf(results);
  assert.deepEqual(trailers.map((t) => t.testedBy), ['Tested-by: Alice <alice@example.org>', 'Tested-by: lab-b <bob@example.org>']);
  assert.deepEqual(trailers[0]!.references, [`Darkroom-Result: ${results[0]!.parts.resultId} signed-by ${fingerprint(alice)}`]);
  assert.deepEqual(trailers[1]!.references, [`Darkroom-Result: ${results[2]!.parts.resultId} signed-by ${fingerprint(bob)}`], 'the retried attempt, not the first');
});

function exported(identity: Identity): string {
  const result = verified(identity, { agent: 'lab-a', contact: 'Alice <alice@example.org>', status: 'PASS' });
  return JSON.stringify(resultFileOf(result.parts, { contact: result.contact, boxKey: result.boxKey }));
}

function rejects(text: string, trust: Parameters<typeof verifyResultFile>[1], code: string): void {
  assert.throws(() => verifyResultFile(text, trust), (error: unknown) => (error instanceof ResultError || error instanceof ResultFileError) && error.code === code, code);
}

test('an exported result verifies against the pinned fingerprint or a given one', () => {
  const identity = generateIdentity();
  const text = exported(identity);
  const pins = { 'lab-a': { fingerprint: fingerprint(identity) } };
  const ok = verifyResultFile(text, { pins });
  assert.equal(ok.fingerprint, fingerprint(identity));
  assert.equal(ok.parts.result.agentName, 'lab-a');
  assert.equal(verifyResultFile(text, { pins: {}, fingerprint: fingerprint(identity).toLowerCase() }).parts.resultId, JSON.parse(text).resultId);
});

test('a tampered, re-keyed or unpinned exported result fails verify with the reason', () => {
  const identity = generateIdentity();
  const text = exported(identity);
  const pins = { 'lab-a': { fingerprint: fingerprint(identity) } };
  const file = JSON.parse(text) as { signedResult: string; agentBoxKey: string; resultId: string };
  const signed = darkroom.v1.SignedResult.decode(Buffer.from(file.signedResult, 'base64'));

  const forged = darkroom.v1.Result.decode(signed.result);
  forged.stages[1]!.cases![0]!.baseStatus = 'FAIL';
  const altered = darkroom.v1.SignedResult.encode({ result: darkroom.v1.Result.encode(forged).finish(), signature: signed.signature }).finish();
  rejects(JSON.stringify({ ...file, signedResult: Buffer.from(altered).toString('base64') }), { pins }, 'RESULT_SIGNATURE');

  const flipped = Buffer.from(signed.signature);
  flipped[7] = flipped[7]! ^ 0x01;
  rejects(JSON.stringify({ ...file, signedResult: Buffer.from(darkroom.v1.SignedResult.encode({ result: signed.result, signature: flipped }).finish()).toString('base64') }), { pins }, 'RESULT_SIGNATURE');

  const other = generateIdentity();
  const resigned = signResult({ ...darkroom.v1.Result.toObject(darkroom.v1.Result.decode(signed.result)) as darkroom.v1.Result.$Properties, agentSignKey: other.signKey }, other);
  rejects(JSON.stringify({ ...file, signedResult: Buffer.from(resigned.bytes).toString('base64'), agentBoxKey: Buffer.from(other.boxKey).toString('base64'), resultId: resigned.resultId }), { pins }, 'RESULT_KEY_MISMATCH');
  rejects(JSON.stringify({ ...file, agentBoxKey: Buffer.from(other.boxKey).toString('base64') }), { pins }, 'RESULT_KEY_MISMATCH');
  rejects(JSON.stringify({ ...file, resultId: '0'.repeat(32) }), { pins }, 'RESULT_ID_MISMATCH');
  rejects(text, { pins: {} }, 'RESULT_KEY_UNKNOWN');
  rejects(text, { pins: {}, fingerprint: fingerprint(other) }, 'RESULT_KEY_MISMATCH');
  rejects('{"format":"darkroom.result.v1"}', { pins }, 'RESULT_FILE_MALFORMED');
});
