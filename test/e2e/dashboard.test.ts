// The maintainer's dashboard in a real Chromium, on the demo's data: after the demo flow the bundle
// page shows the three classes with the 64K-page class failing exactly holds_one_page as
// pre-existing; a job's log opens decrypted; a second bundle's results appear on its open page
// without a reload; a log line holding <script> renders as text; requests without the secret,
// with a foreign Host or from another origin are refused. Screenshots go to a temporary folder, or
// to $DARKROOM_SCREENSHOTS (`DARKROOM_SCREENSHOTS=docs/img npm test` refreshes the README's).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { silentLogger } from '../../shared/log.js';
import { startDashboard, type RunningDashboard } from '../../maintainer/dashboard/server.js';
import { DEMO_AGENTS, DEMO_EMBARGO, runDemo } from '../../maintainer/demo/run.js';
import { createDemoRepository, DEMO_FAILING_CASE, DEMO_TREE } from '../../maintainer/demo/project.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { tempDir } from '../support/bundle-fixture.js';
import { CLI, runCli } from '../support/agent-process.js';
import { launchChromium } from '../support/browser.js';
import { REPO_ROOT } from '../support/paths.js';

const SCREENSHOTS = process.env.DARKROOM_SCREENSHOTS ? resolve(REPO_ROOT, process.env.DARKROOM_SCREENSHOTS) : join(tmpdir(), 'darkroom-screenshots');
const HOSTILE_LINE = '# <script>window.__pwned = 1</script> <b>not bold</b>';
const FAILING_CLASS = DEMO_AGENTS[DEMO_AGENTS.length - 1]!.hardwareClass;
/** Each page step may wait this long: the tests share a loaded 2-core machine with kernel builds. */
const STEP_TIMEOUT_MS = 120_000;

/** A GET with exactly these headers over a real socket; resolves with the status and headers. */
function get(origin: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers, setHost: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The demo series plus one patch whose unit-test run prints a line of markup into the log. */
async function hostileSeries(dir: string): Promise<{ series: string; base: string }> {
  const repo = await createDemoRepository(join(dir, 'repo'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: repo.dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Mallory', GIT_AUTHOR_EMAIL: 'm@example.org', GIT_COMMITTER_NAME: 'Mallory', GIT_COMMITTER_EMAIL: 'm@example.org' } }).toString().trim();
  const makefile = join(repo.dir, 'Makefile');
  await writeFile(makefile, (await readFile(makefile, 'utf8')).replace('check: test_ringbuf\n\t@./test_ringbuf\n', `check: test_ringbuf\n\t@echo '${HOSTILE_LINE}'\n\t@./test_ringbuf\n`));
  git('commit', '--quiet', '-am', 'tests: say hello in markup');
  const series = join(dir, 'series');
  git('format-patch', '--quiet', `--base=${repo.base}`, '-o', series, 'HEAD~1');
  return { series, base: repo.base };
}

async function openDashboard(page: Page, dashboard: RunningDashboard): Promise<void> {
  await page.goto(dashboard.url);
  await page.waitForURL(`${dashboard.origin}/`);
}

async function checkDemoBundle(t: TestContext, page: Page, dashboard: RunningDashboard, bundleId: string): Promise<void> {
  await t.test('the bundle page shows the three classes, the 64K-page class failing exactly holds_one_page as pre-existing', async () => {
    await page.goto(`${dashboard.origin}/bundle/${bundleId}`);
    const classes = await page.locator('#matrix tbody th[scope=row]').allTextContents();
    assert.deepEqual(classes.length, 3);
    assert.ok(classes.includes(FAILING_CLASS), classes.join(', '));
    const failures = page.locator('#failures tbody tr');
    assert.equal(await failures.count(), 1);
    assert.deepEqual((await failures.first().locator('td').allTextContents()).map((text) => text.trim()), [FAILING_CLASS, 'lab-arm64-64k', 'unit', `${DEMO_FAILING_CASE} log`, 'FAIL', 'FAIL', 'pre-existing']);
    assert.match(await page.locator('#bar').textContent() ?? '', /Quality bar: met/);
    assert.equal(await page.locator(`#matrix tr[data-class="${FAILING_CLASS}"] td.cell.s-fail`).count(), 1, 'one red cell: the unit tests of the 64K-page class');
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-bundle.png'), fullPage: true });
  });

  await t.test("a job's log opens decrypted in the viewer, with search and line links", async () => {
    await page.locator('#failures a', { hasText: 'lab-arm64-64k' }).click();
    await page.waitForSelector('pre.log');
    const unitLog = page.locator('section.logfile', { hasText: 'workload_unit.log' });
    assert.match(await unitLog.textContent() ?? '', new RegExp(`not ok \\d+ - ${DEMO_FAILING_CASE}`));
    await page.fill('#log-search', DEMO_FAILING_CASE);
    const hits = page.locator('pre.log .line.hit');
    assert.ok(await hits.count() >= 1);
    assert.match(await page.locator('#log-count').textContent() ?? '', /\d+ matching line/);
    assert.equal(new URL(page.url()).searchParams.get('q'), DEMO_FAILING_CASE, 'the search is kept in the URL');
    const link = hits.first().locator('a.ln');
    await link.click();
    const anchor = (await link.getAttribute('href'))!;
    assert.equal(new URL(page.url()).hash, anchor, 'a line number links to its line');
    await page.locator(anchor).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-log.png') });
  });
}

async function checkLive(t: TestContext, page: Page, dashboard: RunningDashboard, home: string): Promise<void> {
  const dir = await tempDir(t, 'dr-dash-series-');
  const { series, base } = await hostileSeries(dir);
  const submitted = await runCli(['submit', '--embargo', DEMO_EMBARGO, '--tree', `${DEMO_TREE}=${base}`, '--series', series], { DARKROOM_HOME: home });
  assert.equal(submitted.code, 0, submitted.stderr);
  const bundleId = /([0-9a-f]{32})/.exec(submitted.stdout)![1]!;

  await t.test('results arriving while the bundle page is open appear without a reload', async () => {
    await page.goto(`${dashboard.origin}/bundle/${bundleId}`);
    await page.waitForSelector('body[data-live="connected"]');
    await page.evaluate(() => Object.assign(globalThis, { samePage: 'still here' }));
    const before = await page.locator('#jobs tbody tr').count();
    assert.ok(before < DEMO_AGENTS.length, 'the page opened before every result was in (each job takes seconds)');
    await page.locator('#jobs tbody tr').nth(DEMO_AGENTS.length - 1).waitFor({ timeout: 240_000 });
    assert.equal(await page.evaluate(() => (globalThis as { samePage?: string }).samePage), 'still here', 'no reload happened');
    assert.ok(Number(await page.locator('body').getAttribute('data-updated')) >= 1, 'the live part was replaced');
    assert.ok(await page.locator('#activity li').count() >= 1, 'progress lines were shown');
  });

  await t.test('a log line holding <script> renders as text and runs nothing', async () => {
    await page.locator('#jobs a', { hasText: 'lab-xeon' }).click();
    await page.waitForSelector('pre.log');
    const unitLog = page.locator('section.logfile', { hasText: 'workload_unit.log' });
    assert.ok((await unitLog.textContent() ?? '').includes(HOSTILE_LINE), 'the line shows as written');
    assert.equal(await page.locator('pre.log script').count(), 0);
    assert.equal(await page.locator('pre.log b').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
  });
}

async function checkRefusals(t: TestContext, page: Page, dashboard: RunningDashboard): Promise<void> {
  await t.test('a request without the secret, with a foreign Host header, or cross-origin is refused', async () => {
    const host = new URL(dashboard.origin).host;
    const token = new URL(dashboard.url).searchParams.get('token')!;
    const login = await get(dashboard.origin, `/?token=${token}`, { Host: host });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    assert.match(String(login.headers['set-cookie']), /; HttpOnly; SameSite=Strict; Path=\//);
    assert.equal((await get(dashboard.origin, '/', { Host: host, Cookie: cookie })).status, 200, 'the cookie alone lets the owner in');
    assert.equal(await page.evaluate('document.cookie'), '', 'page scripts cannot read the secret');

    const bare = await get(dashboard.origin, '/', { Host: host });
    assert.equal(bare.status, 401);
    assert.match(bare.body, /SECRET_MISSING/);
    assert.doesNotMatch(bare.body, new RegExp(DEMO_EMBARGO), 'nothing of the embargo leaks');
    for (const foreign of ['evil.example', `evil.example:${dashboard.port}`, `127.0.0.1:${dashboard.port + 1}`]) {
      const rebound = await get(dashboard.origin, '/', { Host: foreign, Cookie: cookie });
      assert.equal(rebound.status, 403, foreign);
      assert.match(rebound.body, /HOST_REFUSED/);
    }
    const crossOrigin = await get(dashboard.origin, '/', { Host: host, Cookie: cookie, Origin: 'http://evil.example' });
    assert.equal(crossOrigin.status, 403);
    assert.match(crossOrigin.body, /CROSS_ORIGIN/);
    const sameSite = await get(dashboard.origin, '/', { Host: host, Cookie: cookie, 'Sec-Fetch-Site': 'same-site', 'Sec-Fetch-Mode': 'cors' });
    assert.equal(sameSite.status, 403, 'another port of localhost is not this origin');
    const csp = String(bare.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'; script-src 'self'/);
  });
}

test('the dashboard on the demo, in a real Chromium', { timeout: 900_000 }, async (t) => {
  const dir = join(await tempDir(t, 'dr-dash-demo-'), 'demo');
  let checked = false;
  const code = await runDemo({
    cli: CLI, dir, keep: true, say: () => undefined,
    afterFlow: async ({ home, bundleId }) => {
      const dashboard = await startDashboard(new MaintainerHome(home), { listen: { host: '127.0.0.1', port: 0 }, logger: silentLogger });
      try {
        const browser = await launchChromium(t);
        const page = await browser.newPage();
        page.setDefaultTimeout(STEP_TIMEOUT_MS);
        await openDashboard(page, dashboard);
        assert.match(await page.locator('section.embargo h2').first().textContent() ?? '', new RegExp(DEMO_EMBARGO));
        await checkDemoBundle(t, page, dashboard, bundleId);
        await checkLive(t, page, dashboard, home);
        await checkRefusals(t, page, dashboard);
        checked = true;
      } finally {
        await dashboard.close();
      }
    },
  });
  assert.equal(code, 0, 'the demo ended as designed');
  assert.ok(checked);
});
