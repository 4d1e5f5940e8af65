// `darkroom trailers|verify`: the evidence a maintainer hands on: Tested-by trailers from verified
// results, exported signed results, and their offline check.
import { readFile, stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { createLogger } from '../shared/log.js';
import { MAX_RESULT_FILE_BYTES, ResultFileError, verifyResultFile } from '../shared/result-file.js';
import { statusFromProto } from '../shared/status.js';
import { connectMaintainer } from '../maintainer/connection.js';
import { MaintainerHome, resolveHome } from '../maintainer/home.js';
import { checkRecipients, recipientCheckLine } from '../maintainer/missing-results.js';
import { bundleRecordOf } from '../maintainer/report.js';
import { exportResults, fetchVerifiedResults, latestPerJob, trailersOf } from '../maintainer/trailers.js';
import { hint, say, warn } from './output.js';

const homeOption = () => new Option('--home <dir>', 'the maintainer home directory (default $DARKROOM_HOME or ~/.darkroom)');

export function registerEvidenceCommands(program: Command): void {
  program
    .command('trailers')
    .description('Tested-by trailers for the testers whose signed results passed, each with a verifiable reference')
    .argument('<bundle>', 'the bundle id')
    .option('--export <dir>', 'also write every verified result to DIR/RESULT-ID.result.json, for darkroom verify')
    .addOption(homeOption())
    .action(async (bundleId: string, options: { home?: string; export?: string }) => {
      const home = new MaintainerHome(resolveHome(options.home));
      const connection = await connectMaintainer(home, { logger: createLogger('maintainer', { level: process.env.DARKROOM_LOG_LEVEL ?? 'warn' }) });
      const results = await fetchVerifiedResults(connection, { bundleId, pins: await home.pins() }).finally(() => connection.close());
      for (const refused of results.refused) warn(`not counted: ${refused}`);
      const missing = recipientCheckLine(checkRecipients(await bundleRecordOf(home, bundleId), results.verified), bundleId);
      if (missing) warn(missing);
      const trailers = trailersOf(results.verified);
      for (const trailer of trailers) for (const line of [trailer.testedBy, ...trailer.references]) say(line);
      if (trailers.length === 0) hint(`no tester's results for bundle ${bundleId} have all passed yet`);
      if (options.export) {
        const paths = await exportResults(latestPerJob(results.verified), options.export);
        hint(`exported ${paths.length} signed result(s) to ${options.export}; check one with 'darkroom verify FILE'`);
      }
    });

  program
    .command('verify')
    .description('check an exported signed result offline against the agent\'s key; no coordinator needed')
    .argument('<file>', 'a RESULT-ID.result.json file from darkroom trailers --export')
    .option('--fingerprint <fp>', "the agent's fingerprint (default: the one pinned in the home for the agent the result names)")
    .addOption(homeOption())
    .action(async (file: string, options: { home?: string; fingerprint?: string }) => {
      const size = (await stat(file)).size;
      if (size > MAX_RESULT_FILE_BYTES) throw new ResultFileError('RESULT_FILE_MALFORMED', `${file} is larger than ${MAX_RESULT_FILE_BYTES} bytes: it is not an exported result`);
      const pins = options.fingerprint ? {} : await new MaintainerHome(resolveHome(options.home)).pins();
      const verified = verifyResultFile(await readFile(file, 'utf8'), { pins, source: file, ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}) });
      const result = verified.parts.result;
      say(`Verified: result ${verified.parts.resultId} signed by agent ${result.agentName} (${verified.fingerprint})`);
      say(`  job ${result.jobId} attempt ${result.attempt}, bundle ${result.bundleId}, tree ${result.tree}, class ${result.hardwareClass}: ${statusFromProto(result.status)}`);
      say(`  ${result.stages.map((stage) => `${stage.name} ${statusFromProto(stage.status ?? 0)}${stage.baseStatus ? ` (base ${stage.baseStatus})` : ''}`).join(', ')}`);
    });
}
