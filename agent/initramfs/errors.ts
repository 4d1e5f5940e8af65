// The initramfs builder's error: a bad name or path in the settings, or a tool it lacks.
import { DarkroomError } from '../../shared/errors.js';

export type InitramfsErrorCode = 'NAME_UNUSABLE' | 'PATH_UNUSABLE' | 'TOOL_MISSING' | 'PACK_FAILED';

export class InitramfsError extends DarkroomError<InitramfsErrorCode> {}
