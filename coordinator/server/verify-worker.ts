// A worker thread of the result verifier: checks batches of signed results against the keys of
// the agents that sent them, off the coordinator's event loop. Holds no state and no database.
import { parentPort } from 'node:worker_threads';
import { DarkroomError, messageOf } from '../../shared/errors.js';
import { verifySignedResult } from '../../shared/result.js';
import type { VerifyAnswer, VerifyRequest } from './verify-pool.js';

function answer(request: VerifyRequest): VerifyAnswer {
  try {
    const parts = verifySignedResult({ result: request.result, signature: request.signature }, request.key);
    return { id: request.id, ok: true, bytes: parts.bytes, resultId: parts.resultId };
  } catch (error) {
    return { id: request.id, ok: false, code: error instanceof DarkroomError ? String(error.code) : 'INTERNAL', message: messageOf(error) };
  }
}

parentPort!.on('message', (batch: VerifyRequest[]) => {
  parentPort!.postMessage(batch.map(answer));
});
