// Whom this agent runs code from: a bundle's signer must be a maintainer the tester pinned by
// fingerprint in agent.yaml (`trusted_maintainers`). The coordinator's list in the offer can only
// narrow that choice, never widen it: it supplies the signer's box key, and a box key it made up
// gives another fingerprint, which is not pinned.
import type { darkroom } from '../proto/darkroom.js';
import type { ParsedHeader } from '../shared/bundle/index.js';
import { fingerprint } from '../shared/identity.js';

export type SignerVerdict = { trusted: true; fingerprint: string } | { trusted: false; reason: string };

const sameBytes = (a: Uint8Array | null | undefined, b: Uint8Array) => !!a && a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

/** Why an agent with no pinned maintainer runs nothing, for `agent check` and `agent run`. */
export function noTrustedMaintainers(configFile: string): string {
  return `No maintainer is trusted: ${configFile} lists no fingerprint under trusted_maintainers, so this agent would refuse every bundle; add the fingerprints your maintainers sent you outside the coordinator (each runs \`darkroom fingerprint\`)`;
}

/**
 * Judges the signer of a bundle's (signature-checked) header against the pinned fingerprints.
 * Pure: decides before any byte of the payload is fetched.
 */
export function judgeSigner(parsed: ParsedHeader, offer: Pick<darkroom.v1.JobOffer, 'maintainers'>, pinned: readonly string[]): SignerVerdict {
  const { signerName, embargo } = parsed.header;
  const listed = offer.maintainers.find((m) => sameBytes(m.signKey, parsed.signerKey));
  if (!listed?.boxKey) {
    const key = Buffer.from(parsed.signerKey).toString('hex').slice(0, 16);
    return { trusted: false, reason: `Bundle ${parsed.bundleId} is signed by '${signerName}' (sign key ${key}…), whom the offer does not list as a maintainer of embargo '${embargo}': refused before fetching it` };
  }
  const print = fingerprint({ signKey: parsed.signerKey, boxKey: listed.boxKey });
  if (pinned.includes(print)) return { trusted: true, fingerprint: print };
  const pins = pinned.length === 0 ? 'none is pinned' : `pinned: ${pinned.join(', ')}`;
  return {
    trusted: false,
    reason: `Bundle ${parsed.bundleId} is signed by '${signerName}' ${print}, a maintainer this agent does not trust (trusted_maintainers ${pins}): refused before fetching it; pin the fingerprint only if that maintainer gave it to you outside the coordinator`,
  };
}
