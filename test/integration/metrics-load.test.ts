// /metrics of a coordinator under load (light agents, `darkroom coordinator serve --metrics` as a
// child process): scraped while results arrive, every count lies between the store's count just
// before and just after the scrape; scraped at rest, every count equals the store's.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { payloadPath } from '../../coordinator/store/bundles.js';
import { Store } from '../../coordinator/store/store.js';
import { startLoadRun } from '../support/load-run.js';
import { sampleSum, sampleValue, scrape } from '../support/prometheus-text.js';

const AGENTS = 100;
const TREE = 'linux-6.1.y';
const WORK_MS: [number, number] = [300, 3_000];

interface StoreCounts {
  results: number;
  auditRows: number;
  byStatus: Record<string, number>;
  byState: Record<string, number>;
}

function storeCounts(dataDir: string): StoreCounts {
  const store = Store.open(dataDir);
  try {
    return { results: store.results.count(), auditRows: store.audit.head()?.seq ?? 0, byStatus: store.results.countsByStatus(), byState: store.jobs.countsByState() };
  } finally {
    store.close();
  }
}

test(`/metrics during a load run of ${AGENTS} light agents agrees with the store`, { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dr-metrics-'));
  const run = await startLoadRun(dir, { agents: AGENTS, hosts: 2, trees: [TREE], concurrency: 1, metrics: true });
  t.after(async () => {
    await run.close();
    await rm(dir, { recursive: true, force: true });
  });
  const url = run.coordinator.metricsUrl!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  await run.fleet.connect();
  await run.fleet.waitFor('every agent connected', (s) => s.connected === AGENTS);
  await run.fleet.configure({ workMs: WORK_MS });
  const submitted = await run.submit([TREE]);
  await run.fleet.waitFor('a third of the results acknowledged', (s) => s.acked >= AGENTS / 3);

  const before = storeCounts(run.dataDir);
  const during = await scrape(url);
  const after = storeCounts(run.dataDir);
  const resultsDuring = sampleSum(during.samples, 'darkroom_results');
  assert.ok(before.results <= resultsDuring && resultsDuring <= after.results, `results scraped under load (${resultsDuring}) lie between the store's ${before.results} and ${after.results}`);
  const auditDuring = sampleValue(during.samples, 'darkroom_audit_rows');
  assert.ok(before.auditRows <= auditDuring && auditDuring <= after.auditRows, `audit rows scraped under load (${auditDuring}) lie between the store's ${before.auditRows} and ${after.auditRows}`);
  assert.ok(resultsDuring < AGENTS, 'the scrape came while results were still arriving');

  await run.fleet.waitFor('every result acknowledged', (s) => s.acked === AGENTS);
  const rest = await scrape(url);
  const store = storeCounts(run.dataDir);
  assert.equal(sampleValue(rest.samples, 'darkroom_agents_connected'), AGENTS);
  for (const [state, count] of Object.entries(store.byState)) assert.equal(sampleValue(rest.samples, 'darkroom_jobs', { state }), count, `jobs ${state}`);
  assert.equal(sampleValue(rest.samples, 'darkroom_results', { status: 'PASS' }), store.byStatus.PASS, 'results PASS');
  assert.equal(sampleSum(rest.samples, 'darkroom_results'), store.results);
  assert.equal(store.results, AGENTS);
  assert.equal(sampleValue(rest.samples, 'darkroom_audit_rows'), store.auditRows);
  assert.ok(sampleValue(rest.samples, 'darkroom_ingest_duration_seconds_count') >= AGENTS, 'every acknowledged result was timed');
  assert.ok(sampleValue(rest.samples, 'darkroom_fan_out_duration_seconds_count') >= 1, 'the fan-out was timed');
  const payload = (await stat(payloadPath(run.dataDir, submitted.bundleId))).size;
  assert.equal(sampleValue(rest.samples, 'darkroom_store_size_bytes', { part: 'bundles' }), payload, 'bundles: the one payload on disk');
  assert.ok(sampleValue(rest.samples, 'darkroom_store_size_bytes', { part: 'database' }) > 0);
  assert.equal(sampleValue(rest.samples, 'darkroom_build_info'), 1);
  for (const name of ['darkroom_notifications_sent_total', 'darkroom_mails_sent_total', 'darkroom_mails_queued']) assert.match(rest.text, new RegExp(`^${name}`, 'm'), `${name} is exposed`);
  const labels = rest.samples.filter((s) => s.name.startsWith('darkroom_')).flatMap((s) => Object.values(s.labels));
  for (const secret of ['cve-load', 'light-0000', submitted.bundleId]) assert.ok(!labels.some((value) => value.includes(secret)), `no label names ${secret}`);
});
