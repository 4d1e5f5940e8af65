// `darkroom dashboard --open`: the browser is handed a private file that redirects to the secret
// URL, never the URL itself, so the secret does not show in the process list other users can read.
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DarkroomError } from '../../shared/errors.js';

export const OPEN_FILE_NAME = 'dashboard-open.html';

export class OpenBrowserError extends DarkroomError<'BROWSER_NOT_STARTED'> {}

/** The program that opens a file in the desktop's browser. */
export function opener(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? 'open' : platform === 'win32' ? 'explorer' : 'xdg-open';
}

/** Writes DIR/dashboard-open.html (0600) redirecting to `url`, and starts the desktop's opener on it. */
export async function openInBrowser(url: string, options: { dir: string }): Promise<string> {
  const path = join(options.dir, OPEN_FILE_NAME);
  const handle = await open(path, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o600);
  try {
    await handle.chmod(0o600);
    const escaped = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    await handle.writeFile(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escaped}"><title>Darkroom</title><a href="${escaped}">Open the Darkroom dashboard</a>\n`);
  } finally {
    await handle.close();
  }
  const program = opener(process.platform);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(program, [pathToFileURL(path).href], { stdio: 'ignore', detached: true });
    child.once('error', (error) => reject(new OpenBrowserError('BROWSER_NOT_STARTED', `Could not start '${program}' to open the dashboard: ${error.message}; open the printed URL yourself`, { cause: error })));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
  return path;
}
