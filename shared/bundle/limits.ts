// Every constant and name rule of sealed-envelope format 1 (docs/sealed-bundle.md), in one place.

export const FORMAT_VERSION = 1;
export const CHUNK_SIZE = 65536;
export const SALT_BYTES = 16;
export const ENVELOPE_ID_BYTES = 32;
export const BUNDLE_ID_BYTES = 16;
export const KEY_COMMITMENT_BYTES = 32;

export const MAX_SIGNED_HEADER_BYTES = 64 * 1024;
export const MAX_SIGNED_STANZA_BYTES = 1024;
export const MAX_STANZAS = 65536;
export const MAX_TARGETS = 64;
export const MAX_PATCHES_PER_TARGET = 10000;
export const MAX_WORKLOADS = 256;
export const MAX_LOG_RECIPIENTS = 256;
export const MAX_TEXT_CHARS = 128;
export const MAX_BUNDLE_PAYLOAD_BYTES = 2 ** 36;
export const MAX_LOG_PAYLOAD_BYTES = 8 * 1024 * 1024;
/** Result details travel inside the result, in one 4 MiB frame beside at most 3 MiB of sealed logs. */
export const MAX_DETAILS_PAYLOAD_BYTES = 512 * 1024;
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_DESCRIPTION_CHARS = 64 * 1024;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const REV = /^[A-Za-z0-9][A-Za-z0-9._/+-]{0,127}$/;
const PATCH_FILE = /^[0-9]{4}-[A-Za-z0-9._+-]{1,89}\.patch$/;
const LOG_FILE = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,99}$/;
// Control characters: C0, DEL, C1.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Tree, workload and job names: safe as a path component and as a command-line argument. */
export const isName = (value: string): boolean => NAME.test(value);

/** A git revision that is never an option, a range or a reflog expression. */
export const isRevision = (value: string): boolean =>
  REV.test(value) && !value.includes('..') && !value.includes('//') && !value.endsWith('/') && !value.endsWith('.lock');

export const isPatchFileName = (value: string): boolean => PATCH_FILE.test(value);

export const isLogFileName = (value: string): boolean => LOG_FILE.test(value);

/** Embargo, signer and recipient names: 1–128 characters, none of them a control character. */
export const isText = (value: string): boolean => value.length > 0 && value.length <= MAX_TEXT_CHARS && !CONTROL.test(value);

export const hasControl = (value: string): boolean => CONTROL.test(value);
