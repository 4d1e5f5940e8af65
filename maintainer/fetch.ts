// `darkroom fetch BUNDLE`: a bundle sealed to this maintainer, opened here into one directory of
// `git am`-ready patch files per target tree. The header's signature and its signer (one of the
// embargo's maintainers) are checked before a payload byte is fetched.
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openBundle, SealedKind, unseal, type ParsedHeader } from '../shared/bundle/index.js';
import { DarkroomError } from '../shared/errors.js';
import { fingerprint } from '../shared/identity.js';
import { WireError } from '../shared/wire/errors.js';
import { fetchPayload } from '../transport/payload-fetch.js';
import type { MaintainerConnection } from './connection.js';
import type { MaintainerHome } from './home.js';
import { approveCommand, vouchers } from './trust.js';

export type FetchErrorCode = 'TREE_UNKNOWN' | 'DESTINATION_EXISTS' | 'SIGNER_NOT_APPROVED';

export class FetchError extends DarkroomError<FetchErrorCode> {}

export interface FetchedTree {
  tree: string;
  /** The commit the series applies to, as the submitter named it. */
  base: string;
  /** The directory holding the patch files, in order: `git am DIR/*.patch`. */
  dir: string;
  patches: string[];
}

export interface FetchedBundle {
  bundleId: string;
  embargo: string;
  signer: { name: string; fingerprint: string };
  trees: FetchedTree[];
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/** The maintainer fingerprints this home trusts to sign a series: its own and those it (or a co-maintainer it approved) approved. */
async function approvedSigners(home: MaintainerHome, self: string): Promise<Set<string>> {
  const approved = new Set([self]);
  for (const [key, list] of vouchers(await home.trust())) {
    if (key.startsWith('maintainer:')) for (const voucher of list) approved.add(voucher.fingerprint);
  }
  return approved;
}

/**
 * Fetches, checks and opens the bundle into OUT/<tree>/ (only `tree` when given). The signer must
 * be listed by the coordinator as a maintainer of the embargo and approved in `home` (docs/trust.md):
 * the coordinator's list alone never makes a key trusted.
 */
export async function fetchBundle(connection: MaintainerConnection, options: { bundleId: string; out: string; tree?: string; home: MaintainerHome }): Promise<FetchedBundle> {
  const reply = await connection.channel.request({ bundleFetchRequest: { bundleId: options.bundleId } });
  const sealed = reply.sealedBundle;
  if (!sealed) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a fetch request with '${reply.body}'`);
  const maintainers = (sealed.maintainers ?? []).map((m) => ({ name: m.name ?? '', keys: { signKey: m.signKey ?? new Uint8Array(), boxKey: m.boxKey ?? new Uint8Array() } }));
  const approved = await approvedSigners(options.home, fingerprint(connection.identity));
  let signer: FetchedBundle['signer'] = { name: '', fingerprint: '' };
  let unapproved: FetchedBundle['signer'] | null = null;
  const trust = (parsed: ParsedHeader) => {
    const match = maintainers.find((m) => m.name === parsed.header.signerName && Buffer.from(m.keys.signKey).equals(Buffer.from(parsed.signerKey)));
    if (!match) return false;
    const listed = { name: match.name, fingerprint: fingerprint(match.keys) };
    if (!approved.has(listed.fingerprint)) {
      unapproved = listed;
      return false;
    }
    signer = listed;
    return true;
  };
  const envelope = { signedHeader: sealed.header ?? new Uint8Array(), stanzas: [sealed.stanza ?? new Uint8Array()] };
  let parsed: ParsedHeader;
  try {
    ({ parsed } = unseal(envelope, SealedKind.BUNDLE, { identity: connection.identity, trust }));
  } catch (error) {
    const refused = unapproved as FetchedBundle['signer'] | null;
    if (refused) throw new FetchError('SIGNER_NOT_APPROVED', `Bundle ${options.bundleId} is signed by ${refused.name} (${refused.fingerprint}), a maintainer this home has not approved: nothing was fetched; check the fingerprint with ${refused.name} outside Darkroom, then run: ${approveCommand('maintainer', refused)}`, { cause: error });
    throw error;
  }
  if (parsed.bundleId !== options.bundleId) throw new WireError('BAD_REQUEST', `Coordinator sent bundle ${parsed.bundleId} when ${options.bundleId} was asked for: nothing was fetched`);
  const targets = parsed.header.targets.map((target) => ({ tree: target.tree ?? '', base: target.base ?? '' }));
  const wanted = options.tree === undefined ? targets : targets.filter((target) => target.tree === options.tree);
  if (wanted.length === 0) throw new FetchError('TREE_UNKNOWN', `Bundle ${parsed.bundleId} has no series for tree '${options.tree}': it targets ${targets.map((t) => t.tree).join(', ')}`);
  await mkdir(options.out, { recursive: true, mode: 0o700 });
  for (const target of wanted) {
    if (await exists(join(options.out, target.tree))) throw new FetchError('DESTINATION_EXISTS', `${join(options.out, target.tree)} already exists: remove it or fetch into another --out`);
  }
  const work = await mkdtemp(join(options.out, '.darkroom-fetch-'));
  try {
    const payload = await fetchPayload(connection.channel, { bundleId: parsed.bundleId, size: Number(sealed.payloadBytes ?? 0), path: join(work, 'payload') });
    const opened = await openBundle({ ...envelope, payload: { path: payload } }, { identity: connection.identity, trust, destination: join(work, 'opened') });
    const trees: FetchedTree[] = [];
    for (const target of opened.targets.filter((candidate) => wanted.some((w) => w.tree === candidate.tree))) {
      const dir = join(options.out, target.tree);
      await rename(join(opened.directory, 'series', target.tree), dir);
      trees.push({ tree: target.tree, base: target.base, dir, patches: target.patches.map((patch) => join(dir, patch.slice(patch.lastIndexOf('/') + 1))) });
    }
    return { bundleId: parsed.bundleId, embargo: parsed.header.embargo, signer, trees };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
