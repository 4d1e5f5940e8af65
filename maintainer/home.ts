// The maintainer's home directory: identity, the pinned coordinator, approvals and bundle records.
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DarkroomError } from '../shared/errors.js';
import { readIdentity, type Identity } from '../shared/identity.js';
import { EMPTY_TRUST, TrustError, YOU, vouchers, type TrustRecord } from './trust.js';

export type HomeErrorCode = 'NOT_ENROLLED' | 'HOME_MALFORMED' | 'BUNDLE_UNKNOWN' | 'ALREADY_ENROLLED';

export class HomeError extends DarkroomError<HomeErrorCode> {}

export interface MaintainerSettings {
  coordinator: string;
  fingerprint: string;
  name: string;
  /** TLS CA file for a wss:// coordinator with a private certificate. */
  ca?: string;
}

/** An agent key this home trusts, and who approved it ("you" or a co-maintainer's name). */
export interface AgentPin {
  fingerprint: string;
  approvedBy: string;
}

/** --home, else $DARKROOM_HOME, else ~/.darkroom. */
export function resolveHome(flag?: string): string {
  return resolve(flag ?? process.env.DARKROOM_HOME ?? join(homedir(), '.darkroom'));
}

async function writePrivateJson(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
  try {
    await handle.writeFile(JSON.stringify(value, null, 2) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

export class MaintainerHome {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  identity(): Promise<Identity> {
    return readIdentity(this.dir).catch((error: DarkroomError) => {
      if (error.code === 'KEY_FILE_MISSING') throw new HomeError('NOT_ENROLLED', `No maintainer identity in ${this.dir}: run 'darkroom enroll --coordinator URL --fingerprint FP --token TOKEN' first`);
      throw error;
    });
  }

  async settings(): Promise<MaintainerSettings> {
    const text = await readFile(join(this.dir, 'maintainer.json'), 'utf8').catch(() => null);
    if (text === null) throw new HomeError('NOT_ENROLLED', `${this.dir} has no maintainer.json: run 'darkroom enroll' first (or pass --home)`);
    try {
      return JSON.parse(text) as MaintainerSettings;
    } catch (cause) {
      throw new HomeError('HOME_MALFORMED', `${join(this.dir, 'maintainer.json')} is not valid JSON: fix or re-enroll`, { cause });
    }
  }

  saveSettings(settings: MaintainerSettings): Promise<void> {
    return writePrivateJson(join(this.dir, 'maintainer.json'), settings);
  }

  /** What this home approved and the co-maintainers' lists it took (docs/trust.md). */
  async trust(): Promise<TrustRecord> {
    const path = join(this.dir, 'trust.json');
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text === null) return EMPTY_TRUST;
    try {
      return JSON.parse(text) as TrustRecord;
    } catch (cause) {
      throw new TrustError('TRUST_MALFORMED', `${path} is not valid JSON: restore it from your backup`, { cause });
    }
  }

  saveTrust(record: TrustRecord): Promise<void> {
    return writePrivateJson(join(this.dir, 'trust.json'), record);
  }

  /** The agent keys results and logs are checked against: approved here, or by an approved co-maintainer. */
  async pins(): Promise<Record<string, AgentPin>> {
    const pins: Record<string, AgentPin> = {};
    for (const [key, list] of vouchers(await this.trust())) {
      if (!key.startsWith('agent:')) continue;
      const chosen = list.find((voucher) => voucher.by === YOU) ?? list[0]!;
      pins[key.slice('agent:'.length)] = { fingerprint: chosen.fingerprint, approvedBy: chosen.by };
    }
    return pins;
  }

  /** Where sealed bundles are written before upload, and bundle records kept (mode 0700). */
  async bundlesDir(): Promise<string> {
    const dir = join(this.dir, 'bundles');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Keeps what rewrap needs: the content key opens the bundle, so the file is 0600. */
  async saveBundle(record: BundleRecord): Promise<void> {
    await writePrivateJson(join(await this.bundlesDir(), `${record.bundleId}.json`), record);
  }

  async bundle(bundleId: string): Promise<BundleRecord> {
    if (!/^[0-9a-f]{32}$/.test(bundleId)) throw new HomeError('BUNDLE_UNKNOWN', `'${bundleId}' is not a bundle id (32 hex digits): use the id 'darkroom submit' printed`);
    const path = join(this.dir, 'bundles', `${bundleId}.json`);
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text === null) throw new HomeError('BUNDLE_UNKNOWN', `No record of bundle ${bundleId} in ${this.dir}: only the home that submitted a bundle can rewrap it`);
    try {
      return JSON.parse(text) as BundleRecord;
    } catch (cause) {
      throw new HomeError('HOME_MALFORMED', `${path} is not valid JSON: restore it from your backup`, { cause });
    }
  }
}

/** A submitted bundle as its home remembers it (base64 for bytes). */
export interface BundleRecord {
  bundleId: string;
  embargo: string;
  trees: string[];
  /** SignedHeader bytes. */
  signedHeader: string;
  /** The content key: whoever holds it can read the bundle. */
  contentKey: string;
  /** Agents the content key is wrapped for, by name. */
  recipients: string[];
  /** Maintainers the content key is wrapped for (they can `darkroom fetch` it), by name; absent in records written before they were kept. */
  maintainers?: string[];
  submittedAt: string;
}
