// `darkroom agent enroll` and `darkroom agent run` as real processes against a real coordinator
// on loopback, building and testing the demo project with its real patch series.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { DEMO_SERIES_DIR, createDemoRepository } from '../../maintainer/demo/project.js';
import { openLogs } from '../../shared/bundle/index.js';
import { verifySignedResultBytes } from '../../shared/result.js';
import { detailedStages, openResultDetails } from '../../shared/result-details.js';
import { tempDir } from '../support/bundle-fixture.js';
import { enrol, issueToken, startLab } from '../support/coordinator-lab.js';
import { submitDemo, until } from '../support/demo-job.js';
import { runCli, startAgent, writeAgentConfig } from '../support/agent-process.js';

test('an enrolled agent daemon runs the demo series and its signed result is stored once', { timeout: 120_000 }, async (t) => {
  const lab = await startLab(t);
  const dir = await tempDir(t, 'dr-agent-');
  const repo = await createDemoRepository(join(dir, 'ringbuf'));
  const maintainer = (await enrol(lab, 'maintainer', issueToken(lab, 'maintainer', 'alice'))).identity;
  const setup = await writeAgentConfig(dir, { url: lab.coordinator.url, fingerprint: lab.coordinator.fingerprint, trust: [maintainer], name: 'lab-1', tree: repo.dir, hardwareClass: 'x86_64/Test/Box' });
  const enrolled = await runCli(['agent', 'enroll', '--config', setup.config, '--token', issueToken(lab, 'agent', 'lab-1', ['demo'])]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  assert.match(enrolled.stdout, /lab-1/);
  lab.admin((store) => store.write(() => store.embargoes.create({ name: 'CVE-DEMO', testers: '@demo', maintainers: 'alice', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin:test', now: Date.now() })));
  const agent = startAgent(setup);
  t.after(() => agent.kill('SIGKILL'));
  await until('the agent to connect', () => lab.coordinator.hub.registry.isConnected('lab-1'), 20_000);
  const bundleId = await submitDemo(t, lab, { maintainer, agents: ['lab-1'] });
  const stored = await until('the result', () => lab.admin((store) => store.results.byBundle(bundleId)).at(0), 90_000);
  const agentKey = lab.admin((store) => store.parties.byName('lab-1')!.signKey);
  const { result } = verifySignedResultBytes(stored.signed, agentKey);
  const statuses = Object.fromEntries(result.stages.map((s) => [s.name, darkroom.v1.Status[s.status ?? 0]]));
  assert.deepEqual(statuses, { apply: 'PASS', build: 'PASS', boot: 'SKIP', 'workload:unit': 'PASS', 'workload:stress': 'PASS' });
  const unit = result.stages.find((s) => s.name === 'workload:unit')!;
  assert.ok((unit.counts?.pass ?? 0) >= 5, 'TAP cases are parsed and counted');
  assert.deepEqual(unit.cases, [], 'the signed result carries no case name');
  const details = detailedStages(result, await openResultDetails(result, maintainer));
  const caseNames = (details.find((s) => s.name === 'workload:unit')?.cases ?? []).map((c) => c.name ?? '');
  assert.equal(caseNames.length, unit.counts!.pass, 'the cases are sealed to the maintainer');
  assert.equal(darkroom.v1.Status[result.status], 'PASS');
  assert.equal(result.hardwareClass, 'x86_64/Test/Box');
  assert.ok(result.sealedLogs.length > 0, 'logs travel sealed');
  agent.kill('SIGTERM');

  // THREAT-MODEL 5 and 22: a full copy of the coordinator's data reveals no patch line, log line or case name.
  const logs = await openLogs(result.sealedLogs, { identity: maintainer, trust: (p) => Buffer.from(p.signerKey).equals(Buffer.from(agentKey)) });
  const logLines = logs.files.flatMap((f) => f.content.toString().split('\n')).map((l) => l.trim()).filter((l) => l.length >= 12);
  const names = (await readdir(DEMO_SERIES_DIR)).filter((n) => n.endsWith('.patch'));
  const patchLines = (await Promise.all(names.map((n) => readFile(join(DEMO_SERIES_DIR, n), 'utf8')))).flatMap((text) => text.split('\n'))
    .filter((l) => /^[+-][^+-]/.test(l)).map((l) => l.slice(1).trim()).filter((l) => l.length >= 12);
  assert.ok(logLines.length > 5 && patchLines.length > 5, 'there is something to look for');
  const copy = join(await tempDir(t, 'dr-stolen-'), 'copy');
  await cp(lab.dataDir, copy, { recursive: true });
  const stolen = await Promise.all((await readdir(copy, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name))));
  for (const needle of [...patchLines, ...logLines, ...caseNames.filter((name) => name.length >= 12)]) {
    assert.ok(!stolen.some((bytes) => bytes.includes(needle)), `the coordinator's data holds '${needle}'`);
  }
});
