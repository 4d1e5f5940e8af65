// Threat-model attack 20 and the approval attacks of issue 13 (docs/trust.md), done for real by a
// hostile coordinator (a `coordinator serve` process whose operator mints tokens, enrols parties
// of its own and edits its database) against maintainers and agents that are real CLI processes.
// Each attack fails on the maintainer's side with a clear message, nothing is sealed to a key no
// maintainer approved, and the audit chain stays intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readHeader } from '../../shared/bundle/header.js';
import { generateIdentity } from '../../shared/identity.js';
import { agentLog } from '../support/agent-process.js';
import { HOSTILE_TEST_TIMEOUT_MS, MAINTAINERS_GROUP, ok, replayApprovalList, stanzaHolders, startHostileLab, storedApprovalList, swapKeys, type HostileLab, type LabAgent, type Maintainer } from '../support/hostile-coordinator.js';

interface ReportJson {
  complete: boolean;
  rows: Array<{ hardwareClass: string; cells: Array<{ column: string; status: string | null }> }>;
}

/** mia, her tester's agent lab-1 approved by the fingerprint `agent enroll` printed, the embargo. */
async function honestStart(lab: HostileLab): Promise<{ mia: Maintainer; lab1: LabAgent }> {
  const lab1 = await lab.agent('lab-1');
  const mia = await lab.maintainer('mia');
  await lab.embargo();
  await ok(['trust', 'agent', 'lab-1', '--fingerprint', lab1.fingerprint, '--home', mia.home]);
  return { mia, lab1 };
}

const jobsOf = (lab: HostileLab, bundleId: string) => lab.coordinator.admin((store) => store.jobs.byBundle(bundleId).map((job) => job.agentName).sort());

async function report(mia: Maintainer, bundleId: string): Promise<ReportJson> {
  return JSON.parse((await mia.run(['report', bundleId, '--json'])).stdout) as ReportJson;
}

const buildStatus = (report: ReportJson, hardwareClass: string) => report.rows.find((row) => row.hardwareClass === hardwareClass)?.cells.find((cell) => cell.column === 'build')?.status ?? null;

test('the operator enrols an agent of its own into the embargo\'s group: a non-interactive submit leaves it out and names the command; once approved it is sealed to', { timeout: HOSTILE_TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startHostileLab(t);
  const { mia, lab1 } = await honestStart(lab);
  await lab1.start();
  const first = await mia.submit();
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(jobsOf(lab, first.bundleId!), ['lab-1']);

  // The operator mints a tester token for itself in @lab and runs the agent.
  const own = await lab.agent('ops-box');
  await own.start();
  await ok(['watch', first.bundleId!, '--home', mia.home]);

  const second = await mia.submit();
  assert.equal(second.code, 0, second.stderr);
  const bundleId = second.bundleId!;
  assert.match(second.stderr, new RegExp(`left out agent ops-box \\(x86_64/Test/ops-box, ${own.fingerprint}\\): not approved by you or by a co-maintainer you approved; nothing was sealed to it`));
  assert.ok(second.stderr.includes(`approve it with: darkroom trust agent ops-box --fingerprint ${own.fingerprint} --home ${mia.home}`), second.stderr);
  assert.deepEqual(stanzaHolders(lab.coordinator, bundleId), ['lab-1'], 'the operator\'s agent got no stanza');
  assert.deepEqual(jobsOf(lab, bundleId), ['lab-1'], 'and so no job it could open');
  await ok(['watch', bundleId, '--home', mia.home]);
  const before = await report(mia, bundleId);
  assert.equal(buildStatus(before, 'x86_64/Test/lab-1'), 'PASS');
  assert.equal(buildStatus(before, 'x86_64/Test/ops-box'), null, 'no report row shows the operator\'s agent with a build PASS');

  // Once mia approves it (as if its owner had confirmed the fingerprint), rewrap seals to it.
  assert.match(await ok(['trust', 'agent', 'ops-box', '--fingerprint', own.fingerprint, '--home', mia.home]), /Approved agent ops-box/);
  assert.match(await ok(['rewrap', bundleId, '--home', mia.home]), new RegExp(`Sealed bundle ${bundleId} to ops-box: 1 new jobs`));
  assert.deepEqual(stanzaHolders(lab.coordinator, bundleId), ['lab-1', 'ops-box']);
  await ok(['watch', bundleId, '--home', mia.home]);
  assert.equal(buildStatus(await report(mia, bundleId), 'x86_64/Test/ops-box'), 'PASS');
  await lab.assertAuditIntact();
});

test('the operator lists a maintainer key of its own as a co-maintainer: it reads no log, and the agents its list approves get nothing', { timeout: HOSTILE_TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startHostileLab(t);
  const { mia } = await honestStart(lab);
  const own = await lab.agent('ops-box');
  const ops = await lab.maintainer('ops-m', MAINTAINERS_GROUP);
  // The operator's maintainer approves the operator's agent and publishes that list.
  await ok(['trust', 'agent', 'ops-box', '--fingerprint', own.fingerprint, '--home', ops.home]);

  const submitted = await mia.submit();
  assert.equal(submitted.code, 0, submitted.stderr);
  assert.match(submitted.stderr, new RegExp(`left out maintainer ops-m \\(${ops.fingerprint}\\): not approved by you or by a co-maintainer you approved; it cannot read the logs`));
  assert.ok(submitted.stderr.includes(`darkroom trust maintainer ops-m --fingerprint ${ops.fingerprint}`), submitted.stderr);
  assert.match(submitted.stderr, /left out agent ops-box/);
  const header = readHeader(lab.coordinator.admin((store) => store.bundles.get(submitted.bundleId!)!.header)).header;
  assert.deepEqual(header.logRecipients.map((recipient) => recipient.name), ['mia'], 'logs are sealed to mia only');
  assert.deepEqual(stanzaHolders(lab.coordinator, submitted.bundleId!), ['lab-1']);
  assert.deepEqual(stanzaHolders(lab.coordinator, submitted.bundleId!, 'maintainer'), ['mia'], 'the series itself is sealed to mia only, never to the operator\'s maintainer');
  await lab.assertAuditIntact();
});

test('the operator replays an older approval list of a co-maintainer: refused as a replay, and what it approved is not sealed to', { timeout: HOSTILE_TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startHostileLab(t);
  const { mia } = await honestStart(lab);
  const lab2 = await lab.agent('lab-2');
  const mo = await lab.maintainer('mo', MAINTAINERS_GROUP);
  await ok(['trust', 'maintainer', 'mo', '--fingerprint', mo.fingerprint, '--home', mia.home]);
  assert.match(await ok(['trust', 'agent', 'lab-2', '--fingerprint', lab2.fingerprint, '--home', mo.home]), /Published approval list version 1/);
  const version1 = storedApprovalList(lab.coordinator, 'mo');

  const viaMo = await mia.submit();
  assert.equal(viaMo.code, 0, viaMo.stderr);
  assert.deepEqual(stanzaHolders(lab.coordinator, viaMo.bundleId!), ['lab-1', 'lab-2'], 'an agent approved by an approved co-maintainer is sealed to');
  assert.match((await mia.run(['trust', 'list'])).stdout, new RegExp(`agent\\s+lab-2\\s+${lab2.fingerprint}\\s+approved by mo`));

  // mo withdraws lab-2; mia sees version 2.
  assert.match(await ok(['trust', 'remove', 'lab-2', '--home', mo.home]), /Published approval list version 2/);
  const withdrawn = await mia.submit();
  assert.deepEqual(stanzaHolders(lab.coordinator, withdrawn.bundleId!), ['lab-1']);

  replayApprovalList(lab.coordinator, 'mo', version1);
  const replayed = await mia.submit();
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.match(replayed.stderr, /refused an approval list: Approval list of co-maintainer mo is version 1, older than version 2 already seen: an old list was replayed; its approvals were not used/);
  assert.match(replayed.stderr, /left out agent lab-2/);
  assert.deepEqual(stanzaHolders(lab.coordinator, replayed.bundleId!), ['lab-1'], 'the replayed approval seals nothing');
  await lab.assertAuditIntact();
});

test('the operator swaps the key of an approved agent for one of its own: the submit is refused and nothing is sealed', { timeout: HOSTILE_TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startHostileLab(t);
  const { mia, lab1 } = await honestStart(lab);
  const bundlesBefore = lab.coordinator.admin((store) => store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM bundles').get()!.n);
  const operatorKey = generateIdentity();
  swapKeys(lab.coordinator, 'lab-1', operatorKey);

  const submitted = await mia.submit();
  assert.equal(submitted.code, 1);
  assert.equal(submitted.bundleId, null);
  assert.match(submitted.stderr, new RegExp(`The key of an approved party changed: agent lab-1 was approved \\(by you\\) as ${lab1.fingerprint}, the coordinator now lists DR1:`));
  assert.match(submitted.stderr, /Nothing was sealed; check the new fingerprint with its owner outside Darkroom.*\[KEY_CHANGED\]/);
  assert.equal(lab.coordinator.admin((store) => store.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM bundles').get()!.n), bundlesBefore, 'no bundle reached the coordinator');
  assert.match((await mia.run(['trust', 'list'])).stdout, new RegExp(`agent\\s+lab-1\\s+${lab1.fingerprint}\\s+approved by you`), 'the approval is unchanged');
  await lab.assertAuditIntact();
});

test('the operator swaps one approved agent\'s stanza for another\'s and strips another: each agent refuses, the report shows ERROR, nothing runs', { timeout: HOSTILE_TEST_TIMEOUT_MS }, async (t) => {
  const lab = await startHostileLab(t);
  const { mia, lab1 } = await honestStart(lab);
  const lab2 = await lab.agent('lab-2');
  await ok(['trust', 'agent', 'lab-2', '--fingerprint', lab2.fingerprint, '--home', mia.home]);
  const submitted = await mia.submit();
  assert.equal(submitted.code, 0, submitted.stderr);
  const bundleId = submitted.bundleId!;
  assert.deepEqual(stanzaHolders(lab.coordinator, bundleId), ['lab-1', 'lab-2']);

  // Before either agent connects, lab-1 is given lab-2's stanza and lab-2's is stripped.
  lab.coordinator.admin((store) => {
    const id = (name: string) => store.parties.byName(name)!.id;
    const lab2Stanza = store.bundles.stanzaFor(bundleId, id('lab-2'))!;
    const update = store.db.prepare('UPDATE stanzas SET stanza = ? WHERE bundle_id = ? AND party_id = ?');
    update.run(Buffer.from(lab2Stanza), bundleId, id('lab-1'));
    update.run(Buffer.alloc(0), bundleId, id('lab-2'));
  });
  await lab1.start();
  await lab2.start();
  await ok(['watch', bundleId, '--home', mia.home]);

  const shown = await report(mia, bundleId);
  for (const agent of ['lab-1', 'lab-2']) {
    const row = shown.rows.find((r) => r.hardwareClass === `x86_64/Test/${agent}`)!;
    assert.equal(row.cells.find((cell) => cell.column === 'apply')!.status, 'ERROR', `${agent} refused the bundle at apply`);
    assert.equal(row.cells.find((cell) => cell.column === 'build')!.status, 'SKIP', `${agent} built nothing`);
  }
  const stored = lab.coordinator.admin((store) => store.results.byBundle(bundleId));
  assert.ok(stored.length > 0 && stored.every((result) => result.status === 'ERROR'), 'every result is an ERROR, none a PASS');
  const refusals = async (agent: LabAgent) => (await agentLog(agent.setup)).filter((line) => line.msg === 'bundle not run').map((line) => String(line.err));
  assert.match((await refusals(lab1)).join('\n'), /is sealed to this identity: it was not addressed to you/, 'lab-1 says the stanza is not its own');
  assert.ok((await refusals(lab2)).length > 0, 'lab-2 refuses the stripped stanza');
  await lab.assertAuditIntact();
});
