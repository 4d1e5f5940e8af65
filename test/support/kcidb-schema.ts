// The official KCIDB I/O schema 5.3 (test/fixtures/kcidb, exported unchanged from kcidb-io), checked
// with a draft-07 validator: every export test validates its document here.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fixturePath } from './paths.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(fixturePath('kcidb', 'schema-v5.3.json'), 'utf8')) as object);

/** The schema's complaints about `document`, one line each; empty when it is valid. */
export function kcidbProblems(document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '(document)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
