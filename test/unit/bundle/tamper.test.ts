// THREAT-MODEL items 1–4: flipped bytes, truncation, reordering, duplication, wrong recipient,
// unknown signer, metadata re-signed by another key. Each refusal is clear and leaves no plaintext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../../proto/darkroom.js';
import { openBundleFile, readContainerFile, sealBundle, type BundleError } from '../../../shared/bundle/index.js';
import { encodeContainerPrefix } from '../../../shared/bundle/container.js';
import { signLabelled, nacl } from '../../../shared/crypto/index.js';
import { envelopeIdOf } from '../../../shared/bundle/keys.js';
import { openPayloadBytes, sealPayloadBytes } from '../../../shared/bundle/stream.js';
import type { Identity } from '../../../shared/identity.js';
import { SECRET_LINE, bigPatch, filesUnder, makeParties, smallPatch, tempDir, trustOnly, type Parties } from '../../support/bundle-fixture.js';

const SEALED_CHUNK = 65536 + 16;

interface Sealed {
  dir: string;
  path: string;
  bytes: Buffer;
  payloadOffset: number;
  parties: Parties;
}

/** A bundle of 4 payload chunks for agent A, by the maintainer. */
async function sealFour(dir: string): Promise<Sealed> {
  const parties = makeParties();
  const sealed = await sealBundle({
    embargo: 'CVE-2026-0002', signer: { name: 'alice', identity: parties.maintainer },
    logRecipients: [{ name: 'alice', boxKey: parties.maintainer.boxKey }], recipients: [parties.agentA.boxKey],
    targets: [{ tree: 'linux', base: 'v6.1', patches: [{ name: '0001-ring.patch', content: smallPatch() }, { name: '0002-table.patch', content: bigPatch(3500) }] }],
  }, { path: join(dir, 'good.sealed') });
  const bytes = await readFile(sealed.path);
  assert.equal(Math.ceil((bytes.length - sealed.payloadOffset) / SEALED_CHUNK), 4);
  return { dir, path: sealed.path, bytes, payloadOffset: sealed.payloadOffset, parties };
}

/** Writes `bytes` as a container, opens it as `who`, and checks the refusal and that no plaintext exists. */
async function expectRefused(s: Sealed, bytes: Uint8Array, code: string, message: RegExp, options: { who?: Identity; trust?: Identity[] } = {}): Promise<void> {
  const path = join(s.dir, `bad-${code}-${Math.random().toString(16).slice(2)}.sealed`);
  await writeFile(path, bytes);
  const destination = join(s.dir, `out-${code}`);
  await assert.rejects(
    openBundleFile(path, { identity: options.who ?? s.parties.agentA, trust: trustOnly(...(options.trust ?? [s.parties.maintainer])), destination }),
    (error: BundleError) => {
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
  await assert.rejects(access(destination), 'the destination must not exist after a refusal');
  for (const file of await filesUnder(s.dir)) {
    assert.ok(!(await readFile(file)).includes(SECRET_LINE), `${file} holds plaintext of the series`);
  }
}

const flip = (bytes: Buffer, at: number) => {
  const copy = Buffer.from(bytes);
  copy[at]! ^= 0x01;
  return copy;
};

const chunkAt = (s: Sealed, index: number) => s.bytes.subarray(s.payloadOffset + index * SEALED_CHUNK, s.payloadOffset + (index + 1) * SEALED_CHUNK);

test('one byte flipped in the header: refused before the payload is read', async (t) => {
  const s = await sealFour(await tempDir(t));
  // Byte 40 lies inside the signed Header (after magic, length and protobuf tags).
  await expectRefused(s, flip(s.bytes, 40), 'HEADER_SIGNATURE', /altered after signing/);
});

test('one byte flipped in the signature or the stanza: refused', async (t) => {
  const s = await sealFour(await tempDir(t));
  const prefix = await readContainerFile(s.path);
  const signatureByte = 19 + 4 + prefix.signedHeaderBytes.length - 10;
  await expectRefused(s, flip(s.bytes, signatureByte), 'HEADER_SIGNATURE', /does not verify/);
  await expectRefused(s, flip(s.bytes, s.payloadOffset - 60), 'STANZA_SIGNATURE', /forged or altered/);
});

test('one byte flipped in the payload: chunk named, nothing written', async (t) => {
  const s = await sealFour(await tempDir(t));
  await expectRefused(s, flip(s.bytes, s.payloadOffset + 2 * SEALED_CHUNK + 100), 'CHUNK_AUTH', /chunk 2 of 4 .*failed authentication/);
  await expectRefused(s, flip(s.bytes, s.bytes.length - 1), 'CHUNK_AUTH', /chunk 3 of 4/);
});

test('truncated at a chunk boundary and inside a chunk: refused as truncated', async (t) => {
  const s = await sealFour(await tempDir(t));
  await expectRefused(s, s.bytes.subarray(0, s.payloadOffset + 3 * SEALED_CHUNK), 'TRUNCATED', /truncated at the boundary after chunk 2: 3 of 4 chunks/);
  await expectRefused(s, s.bytes.subarray(0, s.payloadOffset + SEALED_CHUNK + 500), 'TRUNCATED', /inside chunk 1/);
  await expectRefused(s, s.bytes.subarray(0, s.payloadOffset), 'TRUNCATED', /0 of 4 chunks/);
});

test('the last-chunk flag: a payload cut at a chunk boundary fails even under a length that matches the cut', () => {
  const key = nacl.randomBytes(32);
  const sealed = sealPayloadBytes(nacl, key, Buffer.alloc(4 * 65536, 7));
  const cut = sealed.subarray(0, 3 * SEALED_CHUNK);
  assert.throws(() => openPayloadBytes(nacl, key, cut, 3 * 65536), (error: BundleError) => error.code === 'CHUNK_AUTH' && /chunk 2 of 3/.test(error.message));
  assert.equal(openPayloadBytes(nacl, key, sealed, 4 * 65536).length, 4 * 65536);
});

test('chunks reordered or duplicated: refused', async (t) => {
  const s = await sealFour(await tempDir(t));
  const prefix = s.bytes.subarray(0, s.payloadOffset);
  const tail = s.bytes.subarray(s.payloadOffset + 3 * SEALED_CHUNK);
  const swapped = Buffer.concat([prefix, chunkAt(s, 1), chunkAt(s, 0), chunkAt(s, 2), tail]);
  await expectRefused(s, swapped, 'CHUNK_AUTH', /chunk 0 of 4/);
  const duplicated = Buffer.concat([prefix, chunkAt(s, 0), chunkAt(s, 0), chunkAt(s, 2), tail]);
  await expectRefused(s, duplicated, 'CHUNK_AUTH', /chunk 1 of 4/);
  await expectRefused(s, Buffer.concat([s.bytes, tail]), 'TRAILING_DATA', /after its last chunk/);
});

test('a bundle sealed for agent A cannot be opened by agent B', async (t) => {
  const s = await sealFour(await tempDir(t));
  await expectRefused(s, s.bytes, 'NOT_FOR_ME', /not addressed to you/, { who: s.parties.agentB });
});

test('a bundle from an unknown or revoked maintainer is refused before anything is written', async (t) => {
  const s = await sealFour(await tempDir(t));
  await expectRefused(s, s.bytes, 'UNTRUSTED_SIGNER', /'alice'.*not a trusted signer for embargo 'CVE-2026-0002'/, { trust: [s.parties.otherMaintainer] });
});

/** Edits the header's metadata and re-signs header and stanzas with `forger`, keeping the wrapped keys. */
function reSigned(s: Sealed, prefixParts: { signedHeaderBytes: Uint8Array; stanzas: Uint8Array[] }, forger: Identity): Buffer {
  const signedHeader = darkroom.v1.SignedHeader.decode(prefixParts.signedHeaderBytes);
  const header = darkroom.v1.Header.decode(signedHeader.header);
  header.workloads = ['only-the-harmless-one'];
  header.signerName = 'mallory';
  header.signerSignKey = forger.signKey;
  const headerBytes = darkroom.v1.Header.encode(header).finish();
  const newSignedHeader = darkroom.v1.SignedHeader.encode({ header: headerBytes, signature: signLabelled(nacl, 'bundle-header', headerBytes, forger.signSecret) }).finish();
  const envelopeId = envelopeIdOf(nacl, headerBytes);
  const stanzas = prefixParts.stanzas.map((bytes) => {
    const stanza = darkroom.v1.Stanza.decode(darkroom.v1.SignedStanza.decode(bytes).stanza);
    stanza.envelopeId = envelopeId;
    const stanzaBytes = darkroom.v1.Stanza.encode(stanza).finish();
    return darkroom.v1.SignedStanza.encode({ stanza: stanzaBytes, signature: signLabelled(nacl, 'bundle-stanza', stanzaBytes, forger.signSecret) }).finish();
  });
  return Buffer.concat([encodeContainerPrefix(newSignedHeader, stanzas), s.bytes.subarray(s.payloadOffset)]);
}

test('metadata edited and re-signed by another key: refused, even if that key is trusted', async (t) => {
  const s = await sealFour(await tempDir(t));
  const prefix = await readContainerFile(s.path);
  const forged = reSigned(s, prefix, s.parties.otherMaintainer);
  await expectRefused(s, forged, 'UNTRUSTED_SIGNER', /'mallory'/);
  // Another maintainer of the same embargo holds no key to this payload: it derives from the exact header.
  await expectRefused(s, forged, 'CHUNK_AUTH', /chunk 0 of 4/, { trust: [s.parties.maintainer, s.parties.otherMaintainer] });
});

test('stanzas moved from another bundle are refused', async (t) => {
  const s = await sealFour(await tempDir(t));
  const other = await sealFour(await tempDir(t));
  const mine = await readContainerFile(s.path);
  const theirs = await readContainerFile(other.path);
  const spliced = Buffer.concat([encodeContainerPrefix(mine.signedHeaderBytes, theirs.stanzas), s.bytes.subarray(s.payloadOffset)]);
  await expectRefused(s, spliced, 'STANZA_SIGNATURE', /forged or altered/);
});

test('a container with a lying length or a wrong magic line is refused on its prefix', async (t) => {
  const s = await sealFour(await tempDir(t));
  const huge = Buffer.from(s.bytes);
  huge.writeUInt32BE(0x7fffffff, 19);
  await expectRefused(s, huge, 'CONTAINER_MALFORMED', /over the limit of 65536/);
  await expectRefused(s, Buffer.concat([Buffer.from('darkroom-sealed-v2\n'), s.bytes.subarray(19)]), 'CONTAINER_MALFORMED', /not a sealed Darkroom envelope/);
  await expectRefused(s, s.bytes.subarray(0, 30), 'CONTAINER_MALFORMED', /truncated/);
});
