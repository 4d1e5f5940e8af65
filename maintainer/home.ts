// The maintainer's home directory: identity, the pinned coordinator, and pinned agent keys.
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DarkroomError } from '../shared/errors.js';
import { readIdentity, type Identity } from '../shared/identity.js';

export type HomeErrorCode = 'NOT_ENROLLED' | 'HOME_MALFORMED' | 'PIN_CHANGED';

export class HomeError extends DarkroomError<HomeErrorCode> {}

export interface MaintainerSettings {
  coordinator: string;
  fingerprint: string;
  name: string;
  /** TLS CA file for a wss:// coordinator with a private certificate. */
  ca?: string;
}

export interface AgentPin {
  fingerprint: string;
  pinnedAt: string;
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

  async pins(): Promise<Record<string, AgentPin>> {
    const text = await readFile(join(this.dir, 'pins.json'), 'utf8').catch(() => '{}');
    return JSON.parse(text) as Record<string, AgentPin>;
  }

  savePins(pins: Record<string, AgentPin>): Promise<void> {
    return writePrivateJson(join(this.dir, 'pins.json'), pins);
  }
}

export interface PinReview {
  /** Agents seen for the first time: shown to the maintainer, then pinned. */
  added: Array<{ name: string; fingerprint: string }>;
  /** Agents whose key differs from the pinned one: refused unless confirmed. */
  changed: Array<{ name: string; pinned: string; offered: string }>;
}

/** Compares offered agent keys with the pins (pure). */
export function reviewPins(pins: Record<string, AgentPin>, offered: Array<{ name: string; fingerprint: string }>): PinReview {
  const review: PinReview = { added: [], changed: [] };
  for (const agent of offered) {
    const pin = pins[agent.name];
    if (!pin) review.added.push(agent);
    else if (pin.fingerprint !== agent.fingerprint) review.changed.push({ name: agent.name, pinned: pin.fingerprint, offered: agent.fingerprint });
  }
  return review;
}
