// `darkroom trust agent|maintainer|remove|list` and `darkroom fingerprint`: what this maintainer
// approved, from fingerprints received outside the coordinator (docs/trust.md); and the prompt
// and report `submit`/`rewrap` use.
import { Option, type Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import type { ApprovedRole } from '../shared/approvals.js';
import { messageOf } from '../shared/errors.js';
import { fingerprint } from '../shared/identity.js';
import { createLogger } from '../shared/log.js';
import { approveParties, publishApprovals, withdrawApproval } from '../maintainer/approvals.js';
import { connectMaintainer } from '../maintainer/connection.js';
import { MaintainerHome, resolveHome } from '../maintainer/home.js';
import type { ApprovalPrompt, ResolvedRecipients } from '../maintainer/recipients.js';
import { approveCommand, vouchers, type TrustRecord } from '../maintainer/trust.js';
import { hint, say, warn } from './output.js';

interface HomeOption {
  home?: string;
}

const homeOption = () => new Option('--home <dir>', 'the maintainer home directory (default $DARKROOM_HOME or ~/.darkroom)');
const homeSuffix = (options: HomeOption) => (options.home ? ` --home ${options.home}` : '');

/** Publishes the home's list; the coordinator being away only delays it to the next submit. */
async function publish(home: MaintainerHome, record: TrustRecord): Promise<void> {
  try {
    const connection = await connectMaintainer(home, { logger: createLogger('maintainer', { level: process.env.DARKROOM_LOG_LEVEL ?? 'warn' }) });
    try {
      await publishApprovals(home, connection, record);
    } finally {
      connection.close();
    }
    say(`Published approval list version ${record.version} to the coordinator for your co-maintainers`);
  } catch (error) {
    warn(`approval list version ${record.version} is saved here but not published: ${messageOf(error)}; it is published with your next submit`);
  }
}

async function approve(role: ApprovedRole, name: string, options: HomeOption & { fingerprint: string }): Promise<void> {
  const home = new MaintainerHome(resolveHome(options.home));
  const { record, changed } = await approveParties(home, [{ name, role, fingerprint: options.fingerprint }]);
  const approved = record.approved.find((entry) => entry.role === role && entry.name === name)!;
  if (!changed) {
    say(`${role} ${name} is already approved as ${approved.fingerprint}`);
    return;
  }
  say(`Approved ${role} ${name} as ${approved.fingerprint}`);
  await publish(home, record);
}

export function registerTrustCommands(program: Command): void {
  const trust = program.command('trust').description('approve agents and co-maintainers from fingerprints received outside the coordinator');
  for (const role of ['agent', 'maintainer'] as const) {
    trust
      .command(role)
      .description(role === 'agent'
        ? 'approve a tester\'s agent: bundles are sealed only to approved agents'
        : 'approve a co-maintainer: its logs access, and the agents it approved, count for you')
      .argument('<name>', `the ${role}'s name on the coordinator`)
      .requiredOption('--fingerprint <fp>', `the ${role}'s fingerprint DR1:…, as its owner sent it to you outside Darkroom`)
      .addOption(homeOption())
      .action((name: string, options: HomeOption & { fingerprint: string }) => approve(role, name, options));
  }

  trust
    .command('remove')
    .description('withdraw your approval of an agent or co-maintainer')
    .argument('<name>', 'the name approved')
    .addOption(homeOption())
    .action(async (name: string, options: HomeOption) => {
      const home = new MaintainerHome(resolveHome(options.home));
      const record = await withdrawApproval(home, name);
      say(`Withdrew your approval of ${name}`);
      await publish(home, record);
    });

  trust
    .command('list')
    .description('what this home approved, and what the co-maintainers it approved vouch for')
    .addOption(homeOption())
    .action(async (options: HomeOption) => {
      const record = await new MaintainerHome(resolveHome(options.home)).trust();
      say(`Your approval list: version ${record.version}`);
      for (const [key, list] of [...vouchers(record)].sort(([a], [b]) => a.localeCompare(b))) {
        const [role, name] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
        for (const voucher of list) say(`${role.padEnd(10)} ${name.padEnd(20)} ${voucher.fingerprint}  approved by ${voucher.by}`);
      }
      for (const seen of Object.values(record.relayed)) hint(`co-maintainer ${seen.approver}'s list: version ${seen.version} seen`);
      if (record.approved.length === 0) hint("nothing approved yet: 'darkroom trust agent NAME --fingerprint DR1:…' with the fingerprint the tester sent you");
    });

  program
    .command('fingerprint')
    .description("this home's own fingerprint, to send to co-maintainers outside Darkroom")
    .addOption(homeOption())
    .action(async (options: HomeOption) => {
      say(fingerprint(await new MaintainerHome(resolveHome(options.home)).identity()));
    });
}

/** On a terminal: asks for each unapproved party, showing its name, hardware class and whole fingerprint. */
export function terminalPrompt(): ApprovalPrompt | undefined {
  if (!process.stdin.isTTY) return undefined;
  return async (candidate) => {
    const { party, role } = candidate;
    const what = role === 'agent' ? `agent ${party.name}, hardware class ${party.hardwareClass || 'unknown'}` : `co-maintainer ${party.name}`;
    if (candidate.changed) warn(`the key of ${role} ${party.name} changed: approved (by ${candidate.changed.by}) as ${candidate.changed.approved}`);
    process.stderr.write(`${what}\n  fingerprint ${party.fingerprint}\n`);
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await prompt.question('Is this the fingerprint its owner sent you outside Darkroom? Approve it [y/N] ')).trim());
    } finally {
      prompt.close();
    }
  };
}

/** What `submit`/`rewrap` say about trust: lists refused, parties approved now, and each party left out with its command. */
export function reportTrust(trust: Pick<ResolvedRecipients, 'leftOut' | 'refused' | 'approvedNow'>, options: HomeOption): void {
  for (const refused of trust.refused) warn(`refused an approval list: ${refused.reason}`);
  for (const approved of trust.approvedNow) say(`Approved ${approved.role} ${approved.party.name} as ${approved.party.fingerprint}`);
  for (const { role, party } of trust.leftOut) {
    const detail = role === 'agent' ? `${party.hardwareClass || 'unknown class'}, ${party.fingerprint}` : party.fingerprint;
    warn(`left out ${role} ${party.name} (${detail}): not approved by you or by a co-maintainer you approved; ${role === 'agent' ? 'nothing was sealed to it' : 'it cannot read the logs'}`);
    hint(`if its owner confirms this fingerprint outside Darkroom, approve it with: ${approveCommand(role, party)}${homeSuffix(options)}`);
  }
}
