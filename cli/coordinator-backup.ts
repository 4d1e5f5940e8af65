// `darkroom coordinator backup` and `darkroom coordinator restore`: a data directory copied while
// `serve` runs, and a new data directory made from such a copy.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backupCoordinator, restoreCoordinator, type BackupManifest } from '../coordinator/admin/backup.js';
import { hint, say } from './output.js';

function describe(manifest: BackupManifest): void {
  say(`Taken at:     ${new Date(manifest.takenAtMs).toISOString()}`);
  say(`Fingerprint:  ${manifest.fingerprint}`);
  say(`Audit head:   ${manifest.auditHead ? `row ${manifest.auditHead.seq} ${manifest.auditHead.hash}` : 'empty'}`);
  say(`Results:      ${manifest.results}`);
  say(`Bundles:      ${manifest.bundles}`);
}

export function registerBackupCommands(coordinator: Command): void {
  coordinator
    .command('backup')
    .description('copy a data directory (database, bundles, key) into a new directory; safe while serve runs')
    .requiredOption('--data <dir>', 'the coordinator data directory')
    .requiredOption('--to <dir>', 'a new or empty directory for the backup (it holds the coordinator key: keep it as safe as the data directory)')
    .action(async (options: { data: string; to: string }) => {
      const manifest = await backupCoordinator(resolve(options.data), resolve(options.to));
      say(`Backup written to ${resolve(options.to)}`);
      describe(manifest);
      hint('it holds the coordinator key and every stored result: store it encrypted, readable by the operator only');
    });

  coordinator
    .command('restore')
    .description('make a new data directory from a backup and check it (audit chain, payloads)')
    .requiredOption('--from <dir>', 'a directory made by coordinator backup')
    .requiredOption('--data <dir>', 'the new data directory (must not exist or be empty)')
    .action(async (options: { from: string; data: string }) => {
      const manifest = await restoreCoordinator(resolve(options.from), resolve(options.data));
      say(`Restored into ${resolve(options.data)}; the audit chain is intact`);
      describe(manifest);
      hint('everything after the backup was taken is gone: see docs/operations.md (Recovery) before serving');
      hint(`  darkroom coordinator serve --data ${options.data}`);
    });
}
