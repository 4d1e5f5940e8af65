// `darkroom demo`: the whole flow, locally, on embedded defaults.
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { runDemo } from '../maintainer/demo/run.js';
import { DEFAULT_LISTEN } from '../maintainer/dashboard/server.js';
import { serveDashboard } from './dashboard.js';
import { say } from './output.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole flow locally: a coordinator, three agents and a maintainer, on a small real project')
    .option('--dir <dir>', 'work in this (new or empty) directory and keep it')
    .option('--keep', 'keep the temporary directory for a look around afterwards')
    .option('--dashboard', 'then keep the coordinator and agents up and serve the dashboard on the demo\'s data until interrupted')
    .option('--listen <host:port>', 'with --dashboard: where the dashboard listens', DEFAULT_LISTEN)
    .action(async (options: { dir?: string; keep?: boolean; dashboard?: boolean; listen: string }) => {
      const cli = fileURLToPath(new URL('./main.js', import.meta.url));
      const afterFlow = options.dashboard ? ({ home }: { home: string }) => serveDashboard(home, { listen: options.listen, open: false }) : undefined;
      process.exitCode = await runDemo({ cli, dir: options.dir, keep: Boolean(options.keep || options.dir), say, ...(afterFlow ? { afterFlow } : {}) });
    });
}
