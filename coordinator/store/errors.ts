// The coordinator store's boundary error: one class, a stable code per way a request can fail.
import { DarkroomError } from '../../shared/errors.js';

export type StoreErrorCode =
  | 'STORE_MISSING'
  | 'STORE_EXISTS'
  | 'STORE_TOO_NEW'
  | 'TOKEN_UNKNOWN'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_USED'
  | 'TOKEN_WRONG_ROLE'
  | 'TOKEN_INVALID'
  | 'NAME_INVALID'
  | 'PARTY_EXISTS'
  | 'PARTY_UNKNOWN'
  | 'PARTY_REVOKED'
  | 'KEY_TAKEN'
  | 'DECLARATION_INVALID'
  | 'EMBARGO_INVALID'
  | 'EMBARGO_EXISTS'
  | 'EMBARGO_UNKNOWN'
  | 'EMBARGO_CLOSED'
  | 'BUNDLE_INVALID'
  | 'BUNDLE_EXISTS'
  | 'BUNDLE_UNKNOWN'
  | 'JOB_UNKNOWN'
  | 'JOB_NOT_YOURS'
  | 'SUBSCRIPTION_INVALID';

export class StoreError extends DarkroomError<StoreErrorCode> {}
