// `darkroom demo`: the whole flow, locally, on embedded defaults.
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { runDemo } from '../maintainer/demo/run.js';
import { say } from './output.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole flow locally: a coordinator, three agents and a maintainer, on a small real project')
    .option('--dir <dir>', 'work in this (new or empty) directory and keep it')
    .option('--keep', 'keep the temporary directory for a look around afterwards')
    .action(async (options: { dir?: string; keep?: boolean }) => {
      const cli = fileURLToPath(new URL('./main.js', import.meta.url));
      process.exitCode = await runDemo({ cli, dir: options.dir, keep: Boolean(options.keep || options.dir), say });
    });
}
