// The error every wire-level refusal becomes: a proto ErrorCode name and a sentence.
import { darkroom } from '../../proto/darkroom.js';
import { DarkroomError } from '../errors.js';

export type WireErrorCode = Exclude<keyof typeof darkroom.v1.ErrorCode, 'ERROR_CODE_UNSPECIFIED'>;

export class WireError extends DarkroomError<WireErrorCode> {
  /** The proto enum value of this error's code. */
  get protoCode(): darkroom.v1.ErrorCode {
    return darkroom.v1.ErrorCode[this.code];
  }

  /** The Error message a peer is sent. */
  toProto(fatal: boolean): darkroom.v1.Error.$Properties {
    return { code: this.protoCode, message: this.message, fatal };
  }

  /** Rebuilds the error a peer sent us. */
  static fromProto(error: darkroom.v1.Error.$Properties): WireError {
    const name = darkroom.v1.ErrorCode[error.code ?? 0] as WireErrorCode | 'ERROR_CODE_UNSPECIFIED' | undefined;
    const code: WireErrorCode = name && name !== 'ERROR_CODE_UNSPECIFIED' ? name : 'INTERNAL';
    return new WireError(code, error.message || 'The peer reported an error without a message');
  }
}
