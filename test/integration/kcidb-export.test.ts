// `darkroom export kcidb` as a real process: refused while the embargo is not disclosed; after
// disclosure the document is valid against the official 5.3 schema, names the lab only with the
// tester's signed consent, and `--submit` posts it with the bearer token to a local stand-in for
// the KCIDB REST endpoint, printing the submission id it answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { DEMO_SERIES_DIR, DEMO_TREE, readSeriesBase } from '../../maintainer/demo/project.js';
import { fingerprint } from '../../shared/identity.js';
import { runCli } from '../support/agent-process.js';
import { tempDir } from '../support/bundle-fixture.js';
import { issueToken, startLab } from '../support/coordinator-lab.js';
import { until } from '../support/demo-job.js';
import { kcidbProblems } from '../support/kcidb-schema.js';
import { ScriptedAgent } from '../support/scripted-agent.js';

const TOKEN = 'kcidb-test-token-7f3a';
const SUBMISSION_ID = 'Kq2sVd81mXo0aZ7pLr4tYw5eNc6uBh9j';
const S = darkroom.v1.Status;

interface Received {
  authorization: string;
  path: string;
  body: string;
}

async function kcidbEndpoint(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ authorization: request.headers.authorization ?? '', path: request.url ?? '', body });
      if (request.headers.authorization !== `Bearer ${TOKEN}`) {
        response.writeHead(401).end(JSON.stringify({ id: '0', status: 'error', message: 'Missing or invalid JWT' }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: SUBMISSION_ID, status: 'ok', message: `Received submission ${SUBMISSION_ID}` }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('export kcidb is refused before disclosure; afterwards it is valid KCIDB 5.3 and --submit posts it with the bearer token', async (t) => {
  const dir = await tempDir(t, 'dr-kcidb-');
  const lab = await startLab(t);
  const stages = [
    { name: 'apply', status: S.PASS }, { name: 'build', status: S.PASS, durationMs: 4_000 }, { name: 'boot', status: S.PASS },
    { name: 'workload:unit', status: S.FAIL, cases: [{ name: 'ring/holds one page', status: S.FAIL }, { name: 'ring.wraps', status: S.PASS }] },
  ];
  const agent = await ScriptedAgent.enrol(lab, 'lab-1', { trees: [DEMO_TREE], group: 'lab', stages });
  t.after(() => agent.close());
  const home = join(dir, 'mia');
  const enrolled = await runCli(['enroll', '--home', home, '--coordinator', lab.coordinator.url, '--fingerprint', lab.coordinator.fingerprint, '--token', issueToken(lab, 'maintainer', 'mia')]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  lab.admin((store) => store.write(() => store.embargoes.create({ name: 'CVE-2030-4242', testers: '@lab', maintainers: 'mia', until: new Date(Date.now() + 86_400_000).toISOString() }, { actor: 'admin', now: Date.now() })));
  await agent.connect(lab);
  const approved = await runCli(['trust', 'agent', 'lab-1', '--fingerprint', fingerprint(agent.identity), '--home', home]);
  assert.equal(approved.code, 0, approved.stderr);
  const submitted = await runCli(['submit', '--home', home, '--embargo', 'CVE-2030-4242', '--tree', `${DEMO_TREE}=${await readSeriesBase(DEMO_SERIES_DIR)}`, '--series', DEMO_SERIES_DIR]);
  assert.equal(submitted.code, 0, submitted.stderr);
  const bundleId = /([0-9a-f]{32})/.exec(submitted.stdout)![1]!;
  await until('the job offered', () => agent.offers.size === 1);
  agent.submit({ all: true });
  await until('the result acknowledged', () => agent.acks.size === 1);

  const early = await runCli(['export', 'kcidb', bundleId, '--origin', 'darkroom_test', '--home', home]);
  assert.notEqual(early.code, 0);
  assert.match(early.stderr, /Embargo 'CVE-2030-4242' of bundle [0-9a-f]{32} is not disclosed: nothing is exported before disclosure/);
  assert.equal(early.stdout, '');

  const disclosed = await runCli(['coordinator', 'embargo', 'disclose', '--data', lab.dataDir, '--name', 'CVE-2030-4242']);
  assert.equal(disclosed.code, 0, disclosed.stderr);
  const endpoint = await kcidbEndpoint();
  t.after(() => endpoint.close());
  const tokenFile = join(dir, 'kcidb-token');
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const out = join(dir, 'kcidb.json');
  const exported = await runCli(['export', 'kcidb', bundleId, '--origin', 'darkroom_test', '--home', home, '--out', out, '--submit', endpoint.url, '--token-file', tokenFile]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(exported.stdout.trim(), `Submitted: ${SUBMISSION_ID}`);

  const written = await readFile(out, 'utf8');
  const document = JSON.parse(written) as { checkouts: Array<Record<string, unknown>>; builds: Array<Record<string, unknown>>; tests: Array<Record<string, unknown>> };
  assert.deepEqual(kcidbProblems(document), []);
  assert.equal(document.checkouts.length, 1);
  assert.match(String(document.checkouts[0]!.patchset_hash), /^[0-9a-f]{64}$/);
  assert.equal(document.builds.length, 1);
  assert.deepEqual(document.tests.map((test) => [test.path, test.status]), [['boot', 'PASS'], ['unit', 'FAIL'], ['unit.ring.holds_one_page', 'FAIL'], ['unit.ring.wraps', 'PASS']]);
  const lab1 = (document.tests[0]!.environment as { misc: { lab: string; platform: string } }).misc;
  assert.match(lab1.lab, /^anonymous-[0-9a-f]{16}$/, 'the tester did not opt in: the lab is anonymous');
  assert.equal(written.includes('lab-1'), false, "the agent's name is not published");

  assert.equal(endpoint.received.length, 1);
  assert.equal(endpoint.received[0]!.authorization, `Bearer ${TOKEN}`);
  assert.equal(endpoint.received[0]!.path, '/submit');
  assert.deepEqual(JSON.parse(endpoint.received[0]!.body), document, 'the endpoint received the same document');
});
