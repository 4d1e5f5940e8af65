// `darkroom dashboard`: the maintainer's web dashboard on this machine, until interrupted.
import { Option, type Command } from 'commander';
import { messageOf } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';
import { MaintainerHome, resolveHome } from '../maintainer/home.js';
import { openInBrowser } from '../maintainer/dashboard/open-browser.js';
import { DEFAULT_LISTEN, isLoopback, parseListen, startDashboard } from '../maintainer/dashboard/server.js';
import { hint, say, warn } from './output.js';

/** Serves the dashboard of `homeDir`, prints its URL once, and stops on SIGINT or SIGTERM. */
export async function serveDashboard(homeDir: string, options: { listen: string; open: boolean }): Promise<void> {
  const listen = parseListen(options.listen);
  if (!isLoopback(listen.host)) warn(`listening on ${listen.host}, which other machines may reach: only the secret in the URL keeps them out`);
  const home = new MaintainerHome(homeDir);
  const logger = createLogger('dashboard', { level: process.env.DARKROOM_LOG_LEVEL ?? 'warn' });
  const dashboard = await startDashboard(home, { listen, logger });
  say(`Dashboard: ${dashboard.url}`);
  hint('the URL holds a secret: do not share it; stop with Ctrl+C');
  if (options.open) await openInBrowser(dashboard.url, { dir: home.dir }).catch((error: unknown) => warn(messageOf(error)));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.close();
}

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve a web dashboard of your embargoes on this machine, decrypting results and logs here')
    .option('--listen <host:port>', 'where to listen (loopback by default; port 0 picks a free one)', DEFAULT_LISTEN)
    .option('--open', 'open the dashboard in the desktop browser', false)
    .addOption(new Option('--home <dir>', 'the maintainer home directory (default $DARKROOM_HOME or ~/.darkroom)'))
    .action(async (options: { listen: string; open: boolean; home?: string }) => {
      await serveDashboard(resolveHome(options.home), options);
    });
}
