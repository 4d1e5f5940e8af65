// Maps a store or result refusal to the wire error the peer receives: one table, stable codes.
import { DarkroomError, messageOf } from '../../shared/errors.js';
import { WireError, type WireErrorCode } from '../../shared/wire/errors.js';

const BY_CODE: Record<string, WireErrorCode> = {
  TOKEN_UNKNOWN: 'TOKEN_UNKNOWN',
  TOKEN_INVALID: 'TOKEN_UNKNOWN',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_USED: 'TOKEN_USED',
  TOKEN_WRONG_ROLE: 'NOT_AUTHORIZED',
  PARTY_EXISTS: 'DUPLICATE',
  KEY_TAKEN: 'DUPLICATE',
  PARTY_UNKNOWN: 'UNKNOWN_PARTY',
  PARTY_REVOKED: 'REVOKED',
  NAME_INVALID: 'BAD_REQUEST',
  DECLARATION_INVALID: 'BAD_REQUEST',
  EMBARGO_UNKNOWN: 'NOT_FOUND',
  EMBARGO_CLOSED: 'EMBARGO_CLOSED',
  BUNDLE_UNKNOWN: 'NOT_FOUND',
  BUNDLE_INVALID: 'BAD_REQUEST',
  BUNDLE_EXISTS: 'DUPLICATE',
  JOB_UNKNOWN: 'NOT_FOUND',
  JOB_NOT_YOURS: 'NOT_AUTHORIZED',
  RESULT_MALFORMED: 'RESULT_REJECTED',
  RESULT_SIGNATURE: 'RESULT_REJECTED',
  RESULT_MISMATCH: 'RESULT_REJECTED',
  STATUS_UNKNOWN: 'RESULT_REJECTED',
};

/** The wire form of any error thrown while serving a request; unknown errors are INTERNAL. */
export function toWireError(error: unknown): WireError {
  if (error instanceof WireError) return error;
  if (error instanceof DarkroomError) {
    const code = BY_CODE[error.code as string];
    if (code) return new WireError(code, error.message, { cause: error });
  }
  return new WireError('INTERNAL', `The coordinator failed to serve the request: ${messageOf(error)}`, { cause: error });
}
