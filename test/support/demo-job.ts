// The demo series sealed for a lab's agents and accepted as an upload would be, and a poll helper.
import type { TestContext } from 'node:test';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { payloadPath } from '../../coordinator/store/bundles.js';
import { DEMO_SERIES_DIR, readSeriesBase } from '../../maintainer/demo/project.js';
import { readContainerFile, sealBundle } from '../../shared/bundle/index.js';
import type { Identity } from '../../shared/identity.js';
import { tempDir } from './bundle-fixture.js';
import type { LabAddress } from './coordinator-lab.js';

/** How often `until` looks again. */
const POLL_MS = 100;

/** Polls `fn` until it returns something truthy; fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Seals the demo series for `agents`, signed with `maintainer`'s key under the name `signer`
 * (default 'alice', the submitter it is recorded under), and accepts it; resolves with its bundle id.
 */
export async function submitDemo(t: TestContext, lab: LabAddress, options: { maintainer: Identity; agents: string[]; signer?: string }): Promise<string> {
  const names = (await readdir(DEMO_SERIES_DIR)).filter((n) => n.endsWith('.patch')).sort();
  return submitSeries(t, lab, { ...options, tree: 'ringbuf', base: await readSeriesBase(DEMO_SERIES_DIR), patches: names.map((name) => join(DEMO_SERIES_DIR, name)) });
}

/** Seals `patches` against `base` of `tree` for `agents` in embargo CVE-DEMO (signed as `signer`, default 'alice') and accepts it; resolves with its bundle id. */
export async function submitSeries(t: TestContext, lab: LabAddress, options: { maintainer: Identity; agents: string[]; signer?: string; tree: string; base: string; patches: readonly string[] }): Promise<string> {
  const { maintainer, agents, tree, signer = 'alice' } = options;
  const recipients = lab.admin((store) => agents.map((name) => store.parties.byName(name)!.boxKey));
  const sealed = await sealBundle({
    embargo: 'CVE-DEMO', signer: { name: signer, identity: maintainer }, logRecipients: [{ name: signer, boxKey: maintainer.boxKey }], recipients,
    targets: [{ tree, base: options.base, patches: options.patches.map((path) => ({ name: path.split('/').pop()!, path })) }],
  }, { path: join(await tempDir(t), 'series.sealed') });
  const prefix = await readContainerFile(sealed.path);
  await writeFile(payloadPath(lab.dataDir, sealed.bundleId), (await readFile(sealed.path)).subarray(sealed.payloadOffset));
  lab.admin((store) => {
    store.bundles.create({ id: sealed.bundleId, embargo: 'CVE-DEMO', submitter: store.parties.byName(signer)!, header: prefix.signedHeaderBytes, trees: [tree], workloads: [], payloadBytes: sealed.payloadCiphertextBytes, stanzas: agents.map((recipient, i) => ({ recipient, stanza: prefix.stanzas[i]! })) }, Date.now());
    store.bundles.recordReceived(sealed.bundleId, sealed.payloadCiphertextBytes);
    store.bundles.accept(sealed.bundleId, Date.now());
  });
  return sealed.bundleId;
}
