// `darkroom enroll|submit|rewrap|watch|report|logs`: the maintainer's commands, on a home directory.
import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { createLogger } from '../shared/log.js';
import { WireError } from '../shared/wire/errors.js';
import { connectMaintainer, enrolMaintainer, type MaintainerConnection } from '../maintainer/connection.js';
import { MaintainerHome, resolveHome } from '../maintainer/home.js';
import { fetchBundle } from '../maintainer/fetch.js';
import { exportKcidb } from '../maintainer/kcidb/export.js';
import { readToken, submitKcidb } from '../maintainer/kcidb/submit.js';
import { fetchLogs, matchesStage } from '../maintainer/logs.js';
import { prefersUnicode, renderReport, reportExitCode, reportToJson } from '../maintainer/render/report.js';
import { loadReport } from '../maintainer/report.js';
import { WatchView } from '../maintainer/render/watch.js';
import { rewrapBundle, type Rewrapped } from '../maintainer/rewrap.js';
import { pairTargets, submitBundle } from '../maintainer/submit.js';
import { subscribeMail, subscribeWebhook } from '../maintainer/subscribe.js';
import { watchAll, watchBundle } from '../maintainer/watch.js';
import { printable } from '../shared/peer-names.js';
import { hint, say, warn } from './output.js';
import { reportTrust, terminalPrompt } from './trust.js';

interface HomeOption {
  home?: string;
}

const homeOption = () => new Option('--home <dir>', 'the maintainer home directory (default $DARKROOM_HOME or ~/.darkroom)');
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** What `rewrap` did, in one line: whom the key was newly sealed to, and the jobs that made. */
function rewrapLine(rewrapped: Rewrapped): string {
  const whom = [...rewrapped.added, ...rewrapped.maintainers.map((name) => `maintainer ${name}`)];
  if (whom.length === 0) return `No new eligible agent or approved maintainer for bundle ${rewrapped.bundleId}`;
  const fetch = rewrapped.maintainers.length > 0 ? `; ${rewrapped.maintainers.join(', ')} can now run 'darkroom fetch ${rewrapped.bundleId}'` : '';
  return `Sealed bundle ${rewrapped.bundleId} to ${whom.join(', ')}: ${rewrapped.jobs} new jobs${fetch}`;
}

const logger = () => createLogger('maintainer', { level: process.env.DARKROOM_LOG_LEVEL ?? 'warn' });

/** Runs `fn` on a fresh connection as the home's maintainer, and closes it afterwards. */
async function withConnection<T>(options: HomeOption, fn: (connection: MaintainerConnection, home: MaintainerHome) => Promise<T>): Promise<T> {
  const home = new MaintainerHome(resolveHome(options.home));
  const connection = await connectMaintainer(home, { logger: logger() });
  try {
    return await fn(connection, home);
  } finally {
    connection.close();
  }
}

export function registerMaintainerCommands(program: Command): void {
  program
    .command('enroll')
    .description('make maintainer keys in the home directory and enrol them with a one-time token')
    .requiredOption('--coordinator <url>', 'the coordinator, e.g. wss://darkroom.example.org:7420')
    .requiredOption('--fingerprint <fp>', "the coordinator's fingerprint, from its operator")
    .requiredOption('--token <token>', 'the one-time maintainer token')
    .option('--contact <contact>', 'e.g. "Jane Maintainer <jane@example.org>"')
    .option('--ca <file>', 'TLS CA file for a coordinator with a private certificate')
    .addOption(homeOption())
    .action(async (options: HomeOption & { coordinator: string; fingerprint: string; token: string; contact?: string; ca?: string }) => {
      const home = new MaintainerHome(resolveHome(options.home));
      const { settings, fingerprint } = await enrolMaintainer(home, { ...options, logger: logger() });
      say(`Enrolled as maintainer ${settings.name} (${fingerprint}) with ${settings.coordinator}`);
      hint(`keys and settings are in ${home.dir}; submit with 'darkroom submit --embargo NAME --tree NAME=BASE --series PATH'`);
    });

  program
    .command('submit')
    .description('seal a patch series per target tree to the embargo\'s approved agents and upload it')
    .requiredOption('--embargo <name>', 'the embargo the series belongs to')
    .requiredOption('--tree <name=base>', 'a target tree and the commit the series applies to (repeatable)', collect)
    .requiredOption('--series <path>', 'directory of git format-patch files or an mbox, one per --tree (repeatable)', collect)
    .option('--workload <name>', 'a workload to run (repeatable; default every workload agents declared)', collect)
    .addOption(homeOption())
    .action(async (options: HomeOption & { embargo: string; tree: string[]; series: string[]; workload?: string[] }) => {
      const targets = pairTargets(options.tree, options.series);
      const prompt = terminalPrompt();
      const submitted = await withConnection(options, (connection, home) => submitBundle(home, connection, { embargo: options.embargo, targets, workloads: options.workload ?? [], ...(prompt ? { prompt } : {}) }));
      reportTrust(submitted.trust, options);
      say(submitted.bundleId);
      hint(`sealed to ${submitted.recipients.join(', ')}; logs sealed to ${submitted.logReaders.join(', ')}; maintainers who can fetch it: ${submitted.maintainers.join(', ') || 'none'}; ${submitted.jobs} jobs; follow with 'darkroom watch ${submitted.bundleId}'`);
    });

  program
    .command('fetch')
    .description('decrypt a bundle sealed to you into one directory of git am-ready patches per tree, after checking its signer')
    .argument('<bundle>', 'the bundle id')
    .option('--tree <name>', 'only this target tree')
    .requiredOption('--out <dir>', 'where OUT/<tree>/NNNN-*.patch are written (each <tree> must not exist yet)')
    .addOption(homeOption())
    .action(async (bundleId: string, options: HomeOption & { tree?: string; out: string }) => {
      const fetched = await withConnection(options, (connection, home) => fetchBundle(connection, { bundleId, out: options.out, home, ...(options.tree ? { tree: options.tree } : {}) }));
      say(`Bundle ${fetched.bundleId} of embargo ${fetched.embargo}, signed by ${fetched.signer.name} (${fetched.signer.fingerprint})`);
      for (const tree of fetched.trees) say(`${tree.tree}  base ${tree.base}  ${tree.patches.length} patches  ${tree.dir}`);
      hint(`apply with: git checkout BASE && git am ${fetched.trees[0]?.dir ?? options.out}/*.patch`);
    });

  program
    .command('export')
    .description('publish results after disclosure')
    .command('kcidb')
    .description("a disclosed bundle's verified results as a KCIDB I/O document (schema 5.3), docs/kcidb.md")
    .argument('<bundle>', 'the bundle id')
    .requiredOption('--origin <origin>', 'your KCIDB origin, as KernelCI assigned it (lowercase letters, digits, _)')
    .option('--out <file>', 'write the document here (default: standard output)')
    .option('--submit <url>', 'also POST it to this KCIDB REST endpoint (e.g. https://db.kernelci.org/), printing the submission id')
    .option('--token-file <file>', 'with --submit: file holding the bearer token (mode 0600)')
    .addOption(homeOption())
    .action(async (bundleId: string, options: HomeOption & { origin: string; out?: string; submit?: string; tokenFile?: string }) => {
      if (options.submit && !options.tokenFile) throw new WireError('BAD_REQUEST', '--submit needs --token-file FILE with the KCIDB token');
      const token = options.submit && options.tokenFile ? await readToken(options.tokenFile) : '';
      const exported = await withConnection(options, (connection, home) => exportKcidb(connection, { bundleId, origin: options.origin, home }));
      for (const refusal of exported.refused) warn(`left out ${refusal}`);
      const text = `${JSON.stringify(exported.document, null, 2)}\n`;
      if (options.out) {
        await writeFile(options.out, text, { mode: 0o644 });
        hint(`wrote ${exported.document.checkouts.length} checkouts, ${exported.document.builds.length} builds, ${exported.document.tests.length} tests to ${options.out}`);
      } else if (!options.submit) process.stdout.write(text);
      if (options.submit) say(`Submitted: ${await submitKcidb(exported.document, { url: options.submit, token })}`);
    });

  program
    .command('rewrap')
    .description('seal a bundle\'s key to agents that became eligible, or were approved, and to maintainers approved, after it was submitted')
    .argument('<bundle>', 'the bundle id')
    .addOption(homeOption())
    .action(async (bundleId: string, options: HomeOption) => {
      const prompt = terminalPrompt();
      const rewrapped = await withConnection(options, (connection, home) => rewrapBundle(home, connection, { bundleId, ...(prompt ? { prompt } : {}) }));
      reportTrust(rewrapped.trust, options);
      say(rewrapLine(rewrapped));
    });

  program
    .command('watch')
    .description('follow a bundle live until every job has ended, or with --all every notification')
    .argument('[bundle]', 'the bundle id')
    .option('--all', 'print every notification of your embargoes until interrupted', false)
    .addOption(homeOption())
    .action(async (bundleId: string | undefined, options: HomeOption & { all: boolean }) => {
      if (options.all) {
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        await withConnection(options, (connection) => watchAll(connection.channel, { writeLine: say, signal: abort.signal }));
        return;
      }
      if (!bundleId) throw new WireError('BAD_REQUEST', "Name the bundle to watch, or pass --all: e.g. 'darkroom watch 3f2a…'");
      const view = new WatchView({ tty: process.stdout.isTTY === true, stream: process.stdout, writeLine: say });
      await withConnection(options, (connection) => watchBundle(connection.channel, { bundleId, view }));
    });

  program
    .command('subscribe')
    .description('have the coordinator POST (webhook) or mail (email) notifications, metadata only, of your embargoes')
    .option('--webhook <url>', 'http(s) URL that receives one JSON POST per notification')
    .option('--email <address>', 'mail address that receives one mail per notification (docs/notifications.md)')
    .option('--embargo <name...>', 'only these embargoes (default: every embargo you maintain, and with --email those you join later)', [])
    .option('--tree <name...>', 'also notifications of bundles for these trees', [])
    .option('--name-embargo', 'with --email: name the embargo in the mails (left out by default)', false)
    .addOption(homeOption())
    .action(async (options: HomeOption & { webhook?: string; email?: string; embargo: string[]; tree: string[]; nameEmbargo: boolean }) => {
      if (!options.webhook && !options.email) throw new WireError('BAD_REQUEST', 'Give --webhook URL or --email ADDRESS: e.g. darkroom subscribe --email mia@example.org');
      const target = { embargoes: options.embargo, trees: options.tree };
      await withConnection(options, async (connection) => {
        if (options.webhook) {
          const covered = await subscribeWebhook(connection.channel, { ...target, webhook: options.webhook });
          say(`Webhook ${options.webhook} subscribed${covered.length ? ` for ${covered.join(', ')}` : ''}`);
        }
        if (options.email) {
          const covered = await subscribeMail(connection.channel, { ...target, email: options.email, namesEmbargo: options.nameEmbargo });
          say(`Mail to ${options.email} subscribed${covered.length ? ` for ${covered.join(', ')}` : ''}${target.embargoes.length + target.trees.length === 0 ? ' and every embargo you join later' : ''}`);
        }
      });
    });

  program
    .command('report')
    .description('the aggregated results: hardware classes by stage, failing cases; exit 0 only if all passed')
    .argument('<bundle>', 'the bundle id')
    .option('--json', 'stable JSON (format darkroom.report.v1) instead of the table', false)
    .addOption(homeOption())
    .action(async (bundleId: string, options: HomeOption & { json: boolean }) => {
      const report = await withConnection(options, (connection, home) => loadReport(connection, { bundleId, home }));
      if (options.json) say(JSON.stringify(reportToJson(report), null, 2));
      else process.stdout.write(renderReport(report, { unicode: prefersUnicode(process.stdout, process.env) }));
      process.exitCode = reportExitCode(report);
    });

  program
    .command('logs')
    .description("fetch a bundle's encrypted job logs and decrypt them here")
    .argument('<bundle>', 'the bundle id')
    .option('--agent <name>', 'only this agent\'s jobs')
    .option('--stage <name>', 'only this stage (apply, build, boot or a workload)')
    .addOption(homeOption())
    .action(async (bundleId: string, options: HomeOption & { agent?: string; stage?: string }) => {
      const { jobs, unpinned } = await withConnection(options, async (connection, home) => fetchLogs(connection, { bundleId, pins: await home.pins(), ...(options.agent ? { agent: options.agent } : {}) }));
      for (const agent of unpinned) warn(`logs of agent ${printable(agent)} not opened: you never pinned its key (agents are pinned when you submit to them)`);
      let shown = 0;
      for (const job of jobs) {
        for (const file of job.files.filter((candidate) => !options.stage || matchesStage(candidate.name, options.stage))) {
          say(`==> ${job.agent} job ${job.jobId} attempt ${job.attempt}: ${file.name} <==`);
          process.stdout.write(file.content);
          if (!file.content.toString('utf8').endsWith('\n')) say();
          shown++;
        }
      }
      if (shown === 0) hint(`no logs for bundle ${bundleId}${options.agent ? ` from ${options.agent}` : ''}${options.stage ? ` for stage ${options.stage}` : ''} yet`);
    });
}
