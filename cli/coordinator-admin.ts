// `darkroom coordinator init|token|embargo|revoke|status|audit`: administration of a data directory.
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { adminActor } from '../coordinator/admin/actor.js';
import { readBarFile, setEmbargoBar } from '../coordinator/admin/bar.js';
import { describeBar } from '../coordinator/bar/format.js';
import { assertAuditIntact } from '../coordinator/admin/audit.js';
import { parseDuration } from '../coordinator/admin/duration.js';
import { initCoordinator } from '../coordinator/admin/init.js';
import { coordinatorStatus, embargoViews, type StatusReport } from '../coordinator/admin/status.js';
import { splitList } from '../coordinator/store/names.js';
import { Store } from '../coordinator/store/store.js';
import { formatTable } from './table.js';
import { hint, say } from './output.js';

interface DataOption {
  data: string;
}

const dataOption = () => new Option('--data <dir>', 'the coordinator data directory').makeOptionMandatory();

/** Opens the store of --data for one command and closes it afterwards. */
function withStore<T>(options: DataOption, fn: (store: Store) => T): T {
  const store = Store.open(resolve(options.data));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const printJson = (value: unknown) => say(JSON.stringify(value, null, 2));

export function registerAdminCommands(coordinator: Command): void {
  coordinator
    .command('init')
    .description("create the coordinator's identity and database in a new data directory")
    .addOption(dataOption())
    .action(async (options: DataOption) => {
      const outcome = await initCoordinator(resolve(options.data));
      say(`Coordinator fingerprint: ${outcome.fingerprint}`);
      say(`Data directory: ${outcome.dataDir}`);
      hint('testers and maintainers pin this fingerprint when they enrol; next, issue tokens with');
      hint(`  darkroom coordinator token --data ${options.data} --role tester --name NAME`);
    });

  coordinator
    .command('token')
    .description('issue a one-time enrolment token for a tester (agent) or maintainer')
    .addOption(dataOption())
    .addOption(new Option('--role <role>', 'who enrols with it').choices(['tester', 'maintainer']).makeOptionMandatory())
    .requiredOption('--name <name>', 'the name the party will have')
    .option('--groups <list>', 'comma-separated groups, e.g. amd-lab,x86')
    .option('--ttl <duration>', 'how long the token is valid, e.g. 24h or 7d', '24h')
    .option('--contact <email>', 'contact for Tested-by trailers, e.g. "Jane <jane@example.org>"')
    .action((options: DataOption & { role: string; name: string; groups?: string; ttl: string; contact?: string }) => {
      const ttlMs = parseDuration(options.ttl);
      const role = options.role === 'tester' ? 'agent' : 'maintainer';
      const issued = withStore(options, (store) =>
        store.write(() => store.tokens.issue({ role, name: options.name, groups: splitList(options.groups ?? ''), contact: options.contact ?? null, ttlMs }, Date.now())),
      );
      say(issued.token);
      const command = role === 'agent' ? 'darkroom agent enroll' : 'darkroom enroll';
      hint(`give this token to ${options.name} privately; it works once, until ${new Date(issued.expiresAt).toISOString()}, with '${command} --token TOKEN'`);
    });

  registerEmbargoCommands(coordinator);

  coordinator
    .command('revoke')
    .description("revoke a party: close its connections, cancel its jobs, drop its key from recipient lists")
    .addOption(dataOption())
    .requiredOption('--name <name>', 'the party to revoke')
    .action((options: DataOption & { name: string }) => {
      const revocation = withStore(options, (store) => store.revoke(options.name, { actor: adminActor(), now: Date.now() }));
      const party = revocation.subject;
      if (party) say(`Revoked ${party.role === 'agent' ? 'tester' : 'maintainer'} ${party.name} (${party.fingerprint}); cancelled ${revocation.cancelled.length} open jobs`);
      if (revocation.voidedTokens > 0) say(`Voided ${revocation.voidedTokens} unused enrolment token(s) for ${options.name}`);
    });

  coordinator
    .command('status')
    .description('agents, embargoes and jobs at a glance')
    .addOption(dataOption())
    .option('--json', 'print one JSON document')
    .action((options: DataOption & { json?: boolean }) => {
      const report = withStore(options, (store) => coordinatorStatus(store, Date.now()));
      if (options.json) printJson(report);
      else printStatus(report);
    });

  coordinator
    .command('audit')
    .description('the audit log')
    .command('verify')
    .description('check the hash chain; names the first broken row')
    .addOption(dataOption())
    .action((options: DataOption) => {
      const verdict = withStore(options, assertAuditIntact);
      say(`Audit chain intact: ${verdict.checked} rows checked${verdict.head ? `, head ${verdict.head}` : ''}`);
    });
}

function registerEmbargoCommands(coordinator: Command): void {
  const embargo = coordinator.command('embargo').description('create, list and withdraw embargoes');
  embargo
    .command('create')
    .description('open an embargo for named testers and maintainers until its disclosure date')
    .addOption(dataOption())
    .requiredOption('--name <name>', 'the embargo name, e.g. CVE-2030-1234')
    .requiredOption('--testers <list>', 'comma-separated tester names and @groups')
    .requiredOption('--maintainers <list>', 'comma-separated maintainer names and @groups')
    .requiredOption('--until <iso-date>', 'the disclosure date, e.g. 2030-01-31 or 2030-01-31T12:00Z')
    .option('--bar <file>', 'a quality bar (YAML, see examples/quality-bar.yaml) its bundles must meet')
    .action(async (options: DataOption & { name: string; testers: string; maintainers: string; until: string; bar?: string }) => {
      const barText = options.bar ? await readBarFile(options.bar) : null;
      const { created, eligible, bar } = withStore(options, (store) => store.write(() => {
        const now = Date.now();
        const made = store.embargoes.create({ name: options.name, testers: options.testers, maintainers: options.maintainers, until: options.until }, { actor: adminActor(), now });
        const set = barText === null ? null : setEmbargoBar(store, { embargo: made.name, file: options.bar!, text: barText }, { actor: adminActor(), now });
        return { created: made, eligible: store.embargoes.eligibleTesters(made).map((party) => party.name), bar: set };
      }));
      say(`Embargo ${created.name} open until ${new Date(created.untilMs).toISOString()}; eligible testers now: ${eligible.length > 0 ? eligible.join(', ') : 'none'}`);
      if (bar) say(`Quality bar: ${describeBar(bar)}`);
    });
  embargo
    .command('bar')
    .description("set or replace an embargo's quality bar: what its bundles must demonstrate")
    .addOption(dataOption())
    .requiredOption('--name <name>', 'the embargo')
    .requiredOption('--file <bar.yaml>', 'the bar (YAML, see examples/quality-bar.yaml and docs/quality-bar.md)')
    .action(async (options: DataOption & { name: string; file: string }) => {
      const text = await readBarFile(options.file);
      const bar = withStore(options, (store) => setEmbargoBar(store, { embargo: options.name, file: options.file, text }, { actor: adminActor(), now: Date.now() }));
      say(`Quality bar of embargo ${options.name}: ${describeBar(bar)}`);
    });
  embargo
    .command('list')
    .description('every embargo with its state and members')
    .addOption(dataOption())
    .option('--json', 'print one JSON document')
    .action((options: DataOption & { json?: boolean }) => {
      const views = withStore(options, (store) => embargoViews(store, Date.now()));
      if (options.json) return printJson(views);
      if (views.length === 0) return say('No embargoes');
      for (const line of formatTable(['NAME', 'STATE', 'UNTIL', 'TESTERS', 'MAINTAINERS', 'BUNDLES', 'BAR'], views.map((v) => [v.name, v.state, v.until, v.testers, v.maintainers, String(v.bundles), v.barSummary]))) say(line);
    });
  embargo
    .command('withdraw')
    .description('close an embargo now: its running jobs are cancelled and agents wipe their workspaces')
    .addOption(dataOption())
    .requiredOption('--name <name>', 'the embargo to withdraw')
    .action((options: DataOption & { name: string }) => {
      const closure = withStore(options, (store) => store.withdrawEmbargo(options.name, { actor: adminActor(), now: Date.now() }));
      say(`Withdrew embargo ${closure.subject.name}; cancelled ${closure.cancelled.length} open jobs`);
    });
  embargo
    .command('disclose')
    .description('disclose an embargo now (the server also does at its date): running jobs are cancelled and wiped, members are told; results stay readable')
    .addOption(dataOption())
    .requiredOption('--name <name>', 'the embargo to disclose')
    .action((options: DataOption & { name: string }) => {
      const closure = withStore(options, (store) => store.discloseEmbargo(options.name, { actor: adminActor(), now: Date.now() }));
      say(`Disclosed embargo ${closure.subject.name}; cancelled ${closure.cancelled.length} open jobs`);
      hint(`maintainers can now publish results with 'darkroom export kcidb BUNDLE --origin ORIGIN'`);
    });
}

function printStatus(report: StatusReport): void {
  say('Agents');
  const agents = report.agents.map((a) => [a.name, a.revoked ? 'revoked' : a.connected ? 'connected' : 'offline', a.hardwareClass ?? '-', a.trees.join(',') || '-', a.workloads.join(',') || '-', a.groups.join(',') || '-']);
  for (const line of agents.length > 0 ? formatTable(['NAME', 'STATE', 'HARDWARE CLASS', 'TREES', 'WORKLOADS', 'GROUPS'], agents) : ['  none']) say(line);
  say();
  say('Embargoes');
  const embargoes = report.embargoes.map((e) => [e.name, e.state, e.until, e.eligibleTesters.join(',') || '-', String(e.bundles)]);
  for (const line of embargoes.length > 0 ? formatTable(['NAME', 'STATE', 'UNTIL', 'ELIGIBLE TESTERS', 'BUNDLES'], embargoes) : ['  none']) say(line);
  say();
  say(`Jobs: ${Object.entries(report.jobs).map(([state, count]) => `${state} ${count}`).join(', ')}`);
  say(`Maintainers: ${report.maintainers.map((m) => `${m.name}${m.revoked ? ' (revoked)' : ''}`).join(', ') || 'none'}`);
  say(`Audit log: ${report.audit.rows} rows`);
}
