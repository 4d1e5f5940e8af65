// Seal and open throughput of a 64 MiB bundle, beside Node's native chacha20-poly1305 over the
// same bytes in the same run, and the memory either needs.
import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { openBundleFile, sealBundle } from '../shared/bundle/index.js';
import { sealPayloadBytes } from '../shared/bundle/stream.js';
import { nacl } from '../shared/crypto/index.js';
import { tweetNacl } from '../shared/crypto/tweetnacl.js';
import { generateIdentity } from '../shared/identity.js';
import { peakRssRiseMiB, round, seconds } from './measure.js';

const BUNDLE_MIB = 64;
const CHUNK = 65536;
/** tweetnacl is measured on less data: it is an order of magnitude slower. */
const TWEETNACL_SAMPLE_MIB = 8;

/** A patch of `mib` MiB of diff lines, written to disk so sealing streams it. */
async function writeBigPatch(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('Subject: [PATCH] add a large table\n\ndiff --git a/t.txt b/t.txt\nnew file mode 100644\n--- /dev/null\n+++ b/t.txt\n');
  const line = `+${'0123456789abcdef'.repeat(4)}\n`;
  const block = Buffer.from(line.repeat(Math.floor(CHUNK / line.length)));
  for (let written = 0; written < mib * 2 ** 20; written += block.length) {
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

/** Encrypts `bytes` in 64 KiB chunks with Node's native AEAD: the speed a stream cipher reaches here. */
function chacha20Baseline(bytes: number): void {
  const key = randomBytes(32);
  const chunk = randomBytes(CHUNK);
  const nonce = Buffer.alloc(12);
  for (let done = 0, counter = 0n; done < bytes; done += CHUNK, counter++) {
    nonce.writeBigUInt64BE(counter, 4);
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    cipher.update(chunk);
    cipher.final();
  }
}

export async function benchSeal(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-bench-seal-'));
  try {
    const maintainer = generateIdentity();
    const agent = generateIdentity();
    const patch = join(dir, '0001-table.patch');
    await writeBigPatch(patch, BUNDLE_MIB);
    const mb = BUNDLE_MIB * 2 ** 20 / 1e6;
    let sealedPath = '';
    let sealSeconds = 0;
    const sealRise = await peakRssRiseMiB(async () => {
      sealSeconds = await seconds(async () => {
        sealedPath = (await sealBundle({
          embargo: 'bench', signer: { name: 'bench', identity: maintainer }, logRecipients: [], recipients: [agent.boxKey],
          targets: [{ tree: 'linux', base: 'v6.1', patches: [{ name: '0001-table.patch', path: patch }] }],
        }, { path: join(dir, 'b.sealed') })).path;
      });
    });
    let openSeconds = 0;
    const openRise = await peakRssRiseMiB(async () => {
      openSeconds = await seconds(() => openBundleFile(sealedPath, { identity: agent, trust: () => true, destination: join(dir, 'out') }));
    });
    const baselineSeconds = await seconds(() => chacha20Baseline(BUNDLE_MIB * 2 ** 20));
    const baseline = mb / baselineSeconds;
    const copySeconds = await seconds(() => pipeline(createReadStream(patch), createWriteStream(join(dir, 'copy'))));
    const copy = mb / copySeconds;
    const inMemory = Buffer.alloc(BUNDLE_MIB * 2 ** 20, 1);
    const secretboxSeconds = await seconds(() => sealPayloadBytes(nacl, nacl.randomBytes(32), inMemory));
    const tweetSample = inMemory.subarray(0, TWEETNACL_SAMPLE_MIB * 2 ** 20);
    const tweetSeconds = await seconds(() => sealPayloadBytes(tweetNacl, nacl.randomBytes(32), tweetSample));
    return {
      name: 'sealed bundle, 64 MiB',
      seal_mb_s: round(mb / sealSeconds),
      open_mb_s: round(mb / openSeconds),
      baseline: 'node chacha20-poly1305, 64 KiB chunks, same bytes, same run',
      baseline_mb_s: round(baseline),
      seal_ratio_to_baseline: round(mb / sealSeconds / baseline, 3),
      open_ratio_to_baseline: round(mb / openSeconds / baseline, 3),
      file_copy_mb_s: round(copy),
      seal_ratio_to_file_copy: round(mb / sealSeconds / copy, 3),
      payload_secretbox_in_memory_mb_s: round(mb / secretboxSeconds),
      secretbox_ratio_to_baseline: round(mb / secretboxSeconds / baseline, 3),
      tweetnacl_secretbox_in_memory_mb_s: round(TWEETNACL_SAMPLE_MIB * 2 ** 20 / 1e6 / tweetSeconds),
      tweetnacl_ratio_to_baseline: round(TWEETNACL_SAMPLE_MIB * 2 ** 20 / 1e6 / tweetSeconds / baseline, 3),
      seal_peak_rss_rise_mib: round(sealRise, 1),
      open_peak_rss_rise_mib: round(openRise, 1),
      note: 'seal and open read and write files (the copy baseline shows the disk); open authenticates every chunk, then decrypts again while extracting (two passes) and scans each patch line',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
