// THREAT-MODEL item 15: a bundle whose archive or patches reach outside the tree is refused, and
// nothing of it is written. The hostile bundles are built from the format's parts, as a malicious
// signer would; the honest sealer refuses to make them.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { access, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tar from 'tar-stream';
import { openBundleFile, sealBundle, SealedKind, type BundleError } from '../../../shared/bundle/index.js';
import { encodeContainer } from '../../../shared/bundle/container.js';
import { signHeader } from '../../../shared/bundle/header.js';
import { keyCommitment, payloadKey } from '../../../shared/bundle/keys.js';
import { wrapForRecipients } from '../../../shared/bundle/stanza.js';
import { sealPayloadBytes } from '../../../shared/bundle/stream.js';
import { nacl } from '../../../shared/crypto/index.js';
import { makeParties, smallPatch, tempDir, trustOnly, type Parties } from '../../support/bundle-fixture.js';

type RawEntry = { name: string; content?: string; type?: 'file' | 'symlink' | 'link' | 'directory'; linkname?: string };

async function tarOf(entries: RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644, mtime: new Date(0) }, e.content ?? '');
  }
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const part of pack) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const manifest = (patches: string[]) => JSON.stringify({ format: 1, kind: 'bundle', description: '', targets: [{ tree: 'linux', base: 'v6.1', patches }] });

/** Seals arbitrary archive bytes as a validly signed bundle for agent A. */
function sealRaw(parties: Parties, archive: Buffer, patches: number): Uint8Array {
  const key = nacl.randomBytes(32);
  const parsed = signHeader(nacl, {
    format: 1, kind: SealedKind.BUNDLE, salt: nacl.randomBytes(16), embargo: 'E', signerName: 'alice', signerSignKey: parties.maintainer.signKey,
    targets: [{ tree: 'linux', base: 'v6.1', patches }], chunkSize: 65536, payloadBytes: archive.length, keyCommitment: keyCommitment(nacl, key), createdAtMs: 1,
  }, parties.maintainer.signSecret);
  const stanzas = wrapForRecipients(key, parsed, [parties.agentA.boxKey], parties.maintainer);
  return encodeContainer(parsed.signedHeaderBytes, stanzas, sealPayloadBytes(nacl, payloadKey(nacl, key, parsed.envelopeId), archive));
}

async function expectRefused(t: TestContext, entries: RawEntry[], patches: number, code: string, message: RegExp): Promise<void> {
  const dir = await tempDir(t);
  const parties = makeParties();
  const workspace = join(dir, 'workspace');
  const path = join(dir, 'hostile.sealed');
  await writeFile(path, sealRaw(parties, await tarOf(entries), patches));
  await assert.rejects(openBundleFile(path, { identity: parties.agentA, trust: trustOnly(parties.maintainer), destination: workspace }), (error: BundleError) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
  await assert.rejects(access(workspace));
  assert.deepEqual(await readdir(dir), ['hostile.sealed'], 'nothing but the sealed file may remain');
}

const patchWith = (lines: string) => `Subject: [PATCH] evil\n\n---\n${lines}\n`;

test('a patch whose diff header climbs out of the tree is refused', async (t) => {
  await expectRefused(t, [{ name: 'manifest.json', content: manifest(['0001-a.patch']) }, { name: 'series/linux/0001-a.patch', content: patchWith('diff --git a/../../etc/cron.d/x b/../../etc/cron.d/x\n--- /dev/null\n+++ b/../../etc/cron.d/x') }], 1, 'PATH_ESCAPE', /line 4 .*'\.\.' component/);
});

test('a patch writing into .git or to an absolute path is refused', async (t) => {
  await expectRefused(t, [{ name: 'manifest.json', content: manifest(['0001-a.patch']) }, { name: 'series/linux/0001-a.patch', content: patchWith('--- a/x\n+++ b/.git/hooks/post-applypatch') }], 1, 'PATH_ESCAPE', /inside \.git/);
  await expectRefused(t, [{ name: 'manifest.json', content: manifest(['0001-a.patch']) }, { name: 'series/linux/0001-a.patch', content: patchWith('rename from a\nrename to /etc/passwd') }], 1, 'PATH_ESCAPE', /is absolute/);
});

test('a patch creating a symlink is refused', async (t) => {
  await expectRefused(t, [{ name: 'manifest.json', content: manifest(['0001-a.patch']) }, { name: 'series/linux/0001-a.patch', content: patchWith('diff --git a/evil b/evil\nnew file mode 120000') }], 1, 'SYMLINK', /symbolic link/);
});

test('a symlink or hard link entry in the archive is refused', async (t) => {
  await expectRefused(t, [{ name: 'manifest.json', content: manifest(['0001-a.patch']) }, { name: 'series/linux/0001-a.patch', type: 'symlink', linkname: '/etc/shadow' }], 1, 'SYMLINK', /symbolic link/);
  await expectRefused(t, [{ name: 'manifest.json', content: manifest(['0001-a.patch']) }, { name: 'series/linux/0001-a.patch', type: 'link', linkname: '/etc/shadow' }], 1, 'SYMLINK', /hard link/);
});

test('entry names that escape, repeat, come unlisted or out of order are refused', async (t) => {
  const m = { name: 'manifest.json', content: manifest(['0001-a.patch', '0002-b.patch']) };
  const a = { name: 'series/linux/0001-a.patch', content: 'x\n' };
  const b = { name: 'series/linux/0002-b.patch', content: 'y\n' };
  await expectRefused(t, [m, { name: 'series/linux/../../../tmp/owned', content: 'x' }], 2, 'PATH_ESCAPE', /'\.\.' component/);
  await expectRefused(t, [m, a, a], 2, 'DUPLICATE_ENTRY', /appears twice/);
  await expectRefused(t, [m, a, { name: 'series/linux/0003-c.patch', content: 'z' }], 2, 'UNLISTED_ENTRY', /not listed/);
  await expectRefused(t, [m, b, a], 2, 'ARCHIVE_MALFORMED', /out of order/);
  await expectRefused(t, [m, a], 2, 'ARCHIVE_MALFORMED', /ends after 1 of the 2 entries/);
  await expectRefused(t, [a, m], 2, 'ARCHIVE_MALFORMED', /not manifest\.json/);
});

test('a manifest that does not match the signed header is refused', async (t) => {
  await expectRefused(t, [{ name: 'manifest.json', content: manifest(['0001-a.patch']) }, { name: 'series/linux/0001-a.patch', content: 'x\n' }], 2, 'MANIFEST_MISMATCH', /signed header names \[linux@v6\.1×2\]/);
});

test('the honest sealer refuses such a patch before sealing anything', async (t) => {
  const dir = await tempDir(t);
  const parties = makeParties();
  const path = join(dir, 'b.sealed');
  await assert.rejects(sealBundle({
    embargo: 'E', signer: { name: 'alice', identity: parties.maintainer }, logRecipients: [], recipients: [parties.agentA.boxKey],
    targets: [{ tree: 'linux', base: 'v6.1', patches: [{ name: '0001-ok.patch', content: smallPatch() }, { name: '0002-evil.patch', content: Buffer.from(patchWith('+++ b/../outside')) }] }],
  }, { path }), (error: BundleError) => error.code === 'PATH_ESCAPE' && /0002-evil\.patch line 4/.test(error.message));
  await assert.rejects(access(path), 'a refused seal leaves no file');
});
