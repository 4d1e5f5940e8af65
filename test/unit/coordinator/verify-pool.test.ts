// The result verifier's worker threads answer exactly as `verifySignedResult` does on the event
// loop: the same parts for a good result, the same refusal codes for a forged or altered one, every
// request of a burst answered, and nothing left waiting once the pool is closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkroom } from '../../../proto/darkroom.js';
import { VerifyPool } from '../../../coordinator/server/verify-pool.js';
import { generateIdentity, type Identity } from '../../../shared/identity.js';
import { signResult, verifySignedResult } from '../../../shared/result.js';
import { statusToProto } from '../../../shared/status.js';

function signed(identity: Identity, jobId: string): darkroom.v1.SignedResult {
  const parts = signResult({ jobId, attempt: 1, bundleId: 'b'.repeat(32), agentName: 'lab-a', tree: 'ringbuf', hardwareClass: 'x86_64/test', stages: [{ name: 'apply', status: statusToProto('PASS') }], status: statusToProto('PASS') }, identity);
  return darkroom.v1.SignedResult.decode(parts.bytes);
}

test('a burst verified on two threads gives the parts verifySignedResult gives, in order', async (t) => {
  const pool = new VerifyPool(2);
  t.after(() => pool.close());
  const agent = generateIdentity();
  const burst = Array.from({ length: 300 }, (_, i) => signed(agent, `job-${i}`));
  const answers = await Promise.all(burst.map((s) => pool.verify(s, agent.signKey)));
  answers.forEach((parts, i) => {
    const direct = verifySignedResult(burst[i]!, agent.signKey);
    assert.equal(parts.resultId, direct.resultId);
    assert.deepEqual(Buffer.from(parts.bytes), Buffer.from(direct.bytes));
    assert.equal(parts.result.jobId, `job-${i}`);
  });
});

test('a forged, altered or truncated result is refused with the code the event loop would give', async (t) => {
  const pool = new VerifyPool(1);
  t.after(() => pool.close());
  const agent = generateIdentity();
  const good = signed(agent, 'job-1');
  await assert.rejects(pool.verify(signed(generateIdentity(), 'job-1'), agent.signKey), { code: 'RESULT_SIGNATURE' }, 'signed by another key');
  const altered = new Uint8Array(good.signature);
  altered[0]! ^= 1;
  await assert.rejects(pool.verify({ result: good.result, signature: altered }, agent.signKey), { code: 'RESULT_SIGNATURE' }, 'signature altered');
  await assert.rejects(pool.verify({ result: good.result }, agent.signKey), { code: 'RESULT_MALFORMED' }, 'signature missing');
  assert.equal((await pool.verify(good, agent.signKey)).result.jobId, 'job-1', 'the pool still works after refusals');
});

test('closing the pool fails what is still waiting and refuses new work', async () => {
  const pool = new VerifyPool(1);
  const agent = generateIdentity();
  const refused = assert.rejects(pool.verify(signed(agent, 'job-1'), agent.signKey), { code: 'VERIFY_CLOSED' });
  await pool.close();
  await refused;
  await assert.rejects(pool.verify(signed(agent, 'job-2'), agent.signKey), { code: 'VERIFY_CLOSED' });
});

test('ready resolves once every thread has answered; a thread that cannot load fails it with VERIFY_FAILED', async (t) => {
  const pool = new VerifyPool(2);
  t.after(() => pool.close());
  await pool.ready();
  const agent = generateIdentity();
  assert.equal((await pool.verify(signed(agent, 'job-1'), agent.signKey)).result.jobId, 'job-1');

  const broken = new VerifyPool(1, { script: new URL('./no-such-verify-worker.js', import.meta.url) });
  t.after(() => broken.close());
  await assert.rejects(broken.ready(), { code: 'VERIFY_FAILED', message: /^A result verifier thread could not start: .*no-such-verify-worker/ });
});
