// A real Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (no
// browser download), headless with a fresh profile, closed when the test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.DARKROOM_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, offline, reproducible headless run (no sandbox: the tests run as root in CI). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(t: TestContext, options: { width?: number; height?: number } = {}): Promise<BrowserContext> {
  const profile = await mkdtemp(join(tmpdir(), 'dr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
  });
  t.after(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  return context;
}
