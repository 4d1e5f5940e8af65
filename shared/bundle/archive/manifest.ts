// manifest.json, the first entry of a payload archive: what the archive holds, checked against
// the signed header before any other entry is read.
import { z } from 'zod';
import { BundleError } from '../errors.js';
import type { Header } from '../header.js';
import { FORMAT_VERSION, MAX_DESCRIPTION_CHARS, MAX_PATCHES_PER_TARGET, MAX_TARGETS, isLogFileName, isName, isPatchFileName, isRevision } from '../limits.js';

export const MANIFEST_NAME = 'manifest.json';
const MAX_LOG_FILES = 256;

const distinct = (names: string[]) => new Set(names).size === names.length;

const bundleSchema = z.strictObject({
  format: z.literal(FORMAT_VERSION),
  kind: z.literal('bundle'),
  description: z.string().max(MAX_DESCRIPTION_CHARS),
  targets: z.array(z.strictObject({
    tree: z.string().refine(isName, 'not a valid tree name'),
    base: z.string().refine(isRevision, 'not a plain git revision'),
    patches: z.array(z.string().refine(isPatchFileName, 'not of the form NNNN-name.patch')).min(1).max(MAX_PATCHES_PER_TARGET).refine(distinct, 'a patch name repeats'),
  })).min(1).max(MAX_TARGETS),
});

const logsSchema = z.strictObject({
  format: z.literal(FORMAT_VERSION),
  kind: z.literal('logs'),
  files: z.array(z.string().refine(isLogFileName, 'not a valid log file name')).max(MAX_LOG_FILES).refine(distinct, 'a file name repeats'),
});

export type BundleManifest = z.infer<typeof bundleSchema>;
export type LogsManifest = z.infer<typeof logsSchema>;

/** Archive path of a patch. */
export const patchEntryName = (tree: string, patch: string) => `series/${tree}/${patch}`;
/** Archive path of a log file. */
export const logEntryName = (file: string) => `logs/${file}`;

/** The manifest's bytes: keys in a fixed order, so sealing is deterministic. */
export function encodeManifest(manifest: BundleManifest | LogsManifest): Uint8Array {
  return Buffer.from(JSON.stringify(manifest));
}

function parse<T>(schema: z.ZodType<T>, bytes: Uint8Array, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new BundleError('ARCHIVE_MALFORMED', `${MANIFEST_NAME} of the ${what} is not JSON: the sealer is broken`, { cause });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new BundleError('ARCHIVE_MALFORMED', `${MANIFEST_NAME} of the ${what} is refused at '${issue?.path.join('.') ?? ''}': ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** Parses a bundle manifest and checks it lists the header's targets, in order, with their counts. */
export function parseBundleManifest(bytes: Uint8Array, header: Header): BundleManifest {
  const manifest = parse(bundleSchema, bytes, 'bundle');
  const signed = header.targets.map((t) => `${t.tree ?? ''}@${t.base ?? ''}×${t.patches ?? 0}`).join(', ');
  const listed = manifest.targets.map((t) => `${t.tree}@${t.base}×${t.patches.length}`).join(', ');
  if (signed !== listed) {
    throw new BundleError('MANIFEST_MISMATCH', `The archive's manifest lists targets [${listed}] but the signed header names [${signed}]: the payload does not belong to this header`);
  }
  return manifest;
}

export function parseLogsManifest(bytes: Uint8Array): LogsManifest {
  return parse(logsSchema, bytes, 'logs');
}

/** Every entry name after the manifest, in the order the archive must hold them. */
export function bundleEntryNames(manifest: BundleManifest): string[] {
  return manifest.targets.flatMap((target) => target.patches.map((patch) => patchEntryName(target.tree, patch)));
}

export function logsEntryNames(manifest: LogsManifest): string[] {
  return manifest.files.map(logEntryName);
}
