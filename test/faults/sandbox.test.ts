// THREAT-MODEL 24 with a real agent process running two trees at once: a hostile series whose
// build step tries to read the agent's key, list and read its state directory, read the job running
// beside it, write outside its workspace and connect to the coordinator's port. In the sandbox every
// attempt is refused, the job is the series' own FAIL, and neither the key nor the other job leaks
// into any log, the outbox or the other job's result. With `sandbox: none` the same attempts
// succeed (so the sandbox is what stops them), and `agent check` and the start-up log say so.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { darkroom } from '../../proto/darkroom.js';
import { OUTBOX_DIR_NAME } from '../../agent/daemon.js';
import { UNSAFE_NO_SANDBOX } from '../../agent/sandbox/index.js';
import { openLogs } from '../../shared/bundle/index.js';
import { fingerprint, type Identity } from '../../shared/identity.js';
import { verifySignedResultBytes } from '../../shared/result.js';
import { tempDir } from '../support/bundle-fixture.js';
import { makeCProject, makeSeries } from '../support/c-project.js';
import { enrol, issueToken, startLab, type Lab } from '../support/coordinator-lab.js';
import { submitSeries, until } from '../support/demo-job.js';
import { agentLog, killHard, runCli, startAgent, type AgentSetup } from '../support/agent-process.js';
import { AGENT, DEMO_EMBARGO, FAULT_TEST_TIMEOUT_MS, LAB_OPTIONS } from '../support/agent-rig.js';

const ATTEMPTS = ['read-key', 'list-state', 'read-other-job', 'write-outside', 'connect-coordinator'] as const;

interface Attack {
  lab: Lab;
  setup: AgentSetup;
  maintainer: Identity;
  /** The identity.key file's secret fields. */
  keySecrets: string[];
  victimSecret: string;
  hostile: { bundleId: string; result: darkroom.v1.Result; log: string };
  victim: { result: darkroom.v1.Result; log: string };
  agentLogText: string;
  outboxBytes: Buffer;
}

/** The hostile build step, with the lab's paths and port written in (a series that knows the lab). */
function attackScript(dir: string, port: number): string {
  const state = join(dir, 'state');
  return [
    '#!/bin/sh',
    '# Each attempt prints what it got, or that it was refused.',
    'try() { name=$1; shift; if out=$("$@" 2>/dev/null) && [ -n "$out" ]; then echo "ATTEMPT $name SUCCEEDED"; echo "$out"; else echo "ATTEMPT $name REFUSED"; fi; }',
    `try read-key cat ${state}/identity.key`,
    // In the sandbox the state directory is an empty file system holding only the mount point of the job's own workspace.
    `try list-state sh -c 'ls -A ${state} | grep -vx workspace'`,
    `try read-other-job grep -rh VICTIM-SECRET ${state}/workspace/trees/victim ${state}/workspace/jobs`,
    `try write-outside sh -c 'echo pwned > ${dir}/pwned && cat ${dir}/pwned'`,
    `try connect-coordinator bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected'`,
    'exit 1',
    '',
  ].join('\n');
}

async function writeConfig(dir: string, lab: Lab, sandbox: 'bubblewrap' | 'none', trees: { hostile: string; victim: string }, maintainer: Identity): Promise<AgentSetup> {
  const config = join(dir, 'agent.yaml');
  const release = join(dir, 'release');
  await writeFile(config, `coordinator:
  url: ${lab.coordinator.url}
  fingerprint: ${lab.coordinator.fingerprint}
trusted_maintainers: [${fingerprint(maintainer)}]
state_dir: ${JSON.stringify(join(dir, 'state'))}
name: ${AGENT}
hardware_class: x86_64/Test/Box
concurrency: 2
${sandbox === 'none' ? 'sandbox: none\n' : ''}trees:
  hostile:
    path: ${JSON.stringify(trees.hostile)}
    build: {command: make, timeout: 2m}
  victim:
    path: ${JSON.stringify(trees.victim)}
    build: {command: ${JSON.stringify(`make && touch "$DARKROOM_BUILD_DIR/started" && while [ ! -e ${release} ]; do sleep 0.2; done`)}, timeout: 2m}
boot: {method: none}
workloads: []
`);
  return { dir, config, stateDir: join(dir, 'state') };
}

async function openResult(lab: Lab, maintainer: Identity, bundleId: string): Promise<{ result: darkroom.v1.Result; log: string }> {
  const stored = lab.admin((store) => store.results.byBundle(bundleId));
  assert.equal(stored.length, 1, 'one result');
  const agentKey = lab.admin((store) => store.parties.byName(AGENT)!.signKey);
  const { result } = verifySignedResultBytes(stored[0]!.signed, agentKey);
  const logs = await openLogs(result.sealedLogs, { identity: maintainer, trust: (p) => Buffer.from(p.signerKey).equals(Buffer.from(agentKey)) });
  return { result, log: logs.files.map((file) => `== ${file.name}\n${file.content.toString('utf8')}`).join('\n') };
}

const jobDone = (lab: Lab, bundleId: string) => until(`job of ${bundleId} to finish`, () => lab.admin((store) => store.jobs.byBundle(bundleId)[0]?.state === 'done'), 120_000);

/** Runs the victim's job, the hostile job beside it, and gathers everything that left the jobs. */
async function attack(t: TestContext, sandbox: 'bubblewrap' | 'none'): Promise<Attack> {
  const lab = await startLab(t, LAB_OPTIONS);
  const dir = await tempDir(t, 'dr-sandbox-lab-');
  const trees = { hostile: join(dir, 'hostile-tree'), victim: join(dir, 'victim-tree') };
  const bases = { hostile: await makeCProject(trees.hostile), victim: await makeCProject(trees.victim) };
  const maintainer = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  const setup = await writeConfig(dir, lab, sandbox, trees, maintainer);
  const enrolled = await runCli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', AGENT, ['demo'])]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  lab.admin((store) => store.write(() => store.embargoes.create({ name: DEMO_EMBARGO, testers: '@demo', maintainers: 'alice', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin:test', now: Date.now() })));
  const agents: ChildProcess[] = [startAgent(setup)];
  t.after(async () => {
    for (const agent of agents) await killHard(agent);
  });
  await until('the agent to connect', () => lab.coordinator.hub.registry.isConnected(AGENT), 30_000);

  const victimSecret = `VICTIM-SECRET-${randomBytes(8).toString('hex')}`;
  const victimPatches = await makeSeries(trees.victim, bases.victim, [{ file: 'hello.c', from: '\treturn 0;', to: `\t/* ${victimSecret} */\n\treturn 0;`, subject: 'hello: the embargoed fix' }], join(dir, 'victim-series'));
  const victimBundle = await submitSeries(t, lab, { maintainer, agents: [AGENT], tree: 'victim', base: bases.victim, patches: victimPatches });
  await until('the victim\'s build to run', () => existsSync(join(setup.stateDir, 'workspace', 'build', 'victim', 'started')), 120_000);

  const port = Number(new URL(lab.coordinator.url).port);
  const hostilePatches = await makeSeries(trees.hostile, bases.hostile, [
    { file: 'attack.sh', from: '', to: attackScript(dir, port), subject: 'build: a helper script' },
    { file: 'Makefile', from: 'hello: hello.c\n', to: 'hello: hello.c\n\tsh attack.sh\n', subject: 'build: run the helper' },
  ], join(dir, 'hostile-series'));
  const hostileBundle = await submitSeries(t, lab, { maintainer, agents: [AGENT], tree: 'hostile', base: bases.hostile, patches: hostilePatches });
  await jobDone(lab, hostileBundle);
  await writeFile(join(dir, 'release'), '');
  await jobDone(lab, victimBundle);

  const keyFile = JSON.parse(await readFile(join(setup.stateDir, 'identity.key'), 'utf8')) as Record<string, string>;
  const outboxDir = join(setup.stateDir, OUTBOX_DIR_NAME);
  const outboxBytes = Buffer.concat(await Promise.all((await readdir(outboxDir)).map((name) => readFile(join(outboxDir, name)))));
  return {
    lab, setup, maintainer, keySecrets: [keyFile.sign_secret!, keyFile.box_secret!], victimSecret, outboxBytes,
    hostile: { bundleId: hostileBundle, ...(await openResult(lab, maintainer, hostileBundle)) },
    victim: await openResult(lab, maintainer, victimBundle),
    agentLogText: await readFile(join(dir, 'agent.log'), 'utf8'),
  };
}

const stageStatus = (result: darkroom.v1.Result, name: string) => darkroom.v1.Status[result.stages.find((s) => s.name === name)!.status!];

test('in the sandbox a hostile build cannot read the key, the state directory or the job beside it, write outside, or reach the coordinator', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const a = await attack(t, 'bubblewrap');
  for (const name of ATTEMPTS) assert.match(a.hostile.log, new RegExp(`^ATTEMPT ${name} REFUSED$`, 'm'), `${name} is refused`);
  assert.doesNotMatch(a.hostile.log, /SUCCEEDED/);
  assert.equal(darkroom.v1.Status[a.hostile.result.status], 'FAIL', 'the series\' own failure, not an infrastructure ERROR');
  assert.equal(stageStatus(a.hostile.result, 'build'), 'FAIL');
  assert.equal(darkroom.v1.Status[a.victim.result.status], 'PASS', 'the job beside it is unharmed');
  assert.equal(existsSync(join(a.setup.dir, 'pwned')), false);
  const places = { 'the hostile job\'s logs': a.hostile.log, 'the other job\'s logs': a.victim.log, 'the agent\'s log': a.agentLogText, 'the outbox': a.outboxBytes.toString('latin1') };
  for (const [place, text] of Object.entries(places)) {
    for (const secret of a.keySecrets) assert.equal(text.includes(secret), false, `no key material in ${place}`);
  }
  assert.equal(a.hostile.log.includes(a.victimSecret), false, 'the other job\'s series is not in the hostile job\'s logs');
  assert.equal(a.agentLogText.includes(a.victimSecret), false);
  assert.equal(JSON.stringify(darkroom.v1.Result.toObject(a.victim.result)).includes('ATTEMPT'), false, 'nothing of the hostile job in the other job\'s result');
  const started = (await agentLog(a.setup)).find((line) => line.msg === 'agent started');
  assert.equal(started?.sandbox, 'bubblewrap');
});

test('with sandbox: none the same attempts succeed, and agent check and the start-up log flag the configuration as unsafe', { timeout: FAULT_TEST_TIMEOUT_MS }, async (t) => {
  const a = await attack(t, 'none');
  for (const name of ATTEMPTS) assert.match(a.hostile.log, new RegExp(`^ATTEMPT ${name} SUCCEEDED$`, 'm'), `${name} succeeds without the sandbox`);
  assert.ok(a.keySecrets.every((secret) => a.hostile.log.includes(secret)), 'the key was read into a log sealed to someone else');
  assert.ok(a.hostile.log.includes(a.victimSecret), 'the other job\'s series was read');
  assert.ok(existsSync(join(a.setup.dir, 'pwned')));
  const check = await runCli(['agent', 'check', '--config', a.setup.config], { DARKROOM_LOG_LEVEL: 'silent' });
  assert.match(check.stdout, /^sandbox +none: UNSAFE/m);
  assert.ok(check.stderr.includes(`warning: ${UNSAFE_NO_SANDBOX}`), check.stderr);
  const warned = (await agentLog(a.setup)).find((line) => line.msg === UNSAFE_NO_SANDBOX);
  assert.equal(warned?.level, 40, 'a warning at every start');
});
