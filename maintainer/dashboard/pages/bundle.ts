// The bundle page: hardware class × stage matrix, the bar's verdict, failing cases against the
// base, per-agent stage durations, recipients without a result. The live part is a fragment the
// page's script reloads when the server says something changed. Pure.
import { barHeadline, type BarVerdictJson } from '../../render/bar.js';
import { COUNT_KEYS, type CountsJson } from '../../render/report-json.js';
import { formatDuration } from '../../render/watch-model.js';
import type { BundleView, FailureRow, JobRow, MatrixCell } from '../bundle-view.js';
import { filterParams, type Filters } from '../filters.js';
import { layout } from './layout.js';
import { badge, columnTitle, h, nothing, queryOf, type Markup } from './markup.js';

const COUNT_LABEL: Record<keyof CountsJson, string> = { pass: 'pass', fail: 'fail', error: 'error', miss: 'miss', skip: 'skip', done: 'done', running: 'running', pending: 'waiting' };

export function bundlePath(bundleId: string): string {
  return `/bundle/${encodeURIComponent(bundleId)}`;
}

export function jobPath(bundleId: string, jobId: string): string {
  return `${bundlePath(bundleId)}/job/${encodeURIComponent(jobId)}`;
}

function cell(value: MatrixCell): Markup {
  const chips = COUNT_KEYS.filter((key) => value.counts[key] > 0).map((key) => h`<span class="n c-${key}" title="${COUNT_LABEL[key]}">${value.counts[key]}</span>`);
  const tone = value.status ? `s-${value.status.toLowerCase()}` : value.counts.running > 0 ? 'c-running' : 'none';
  return h`<td class="cell ${tone}" data-column="${value.column}">${chips.length ? chips : h`<span class="dash">–</span>`}</td>`;
}

function matrix(view: BundleView): Markup {
  if (view.rows.length === 0) return h`<p class="empty">No hardware class matches the filters yet.</p>`;
  return h`<table class="matrix" id="matrix">
<thead><tr><th>Hardware class</th><th class="num">Agents</th>${view.columns.map((column) => h`<th>${columnTitle(column)}</th>`)}</tr></thead>
<tbody>${view.rows.map((row) => h`<tr data-class="${row.hardwareClass}"><th scope="row" class="hw">${row.hardwareClass}</th><td class="num">${row.agents}</td>${row.cells.map(cell)}</tr>`)}</tbody>
</table>
<p class="legend">${COUNT_KEYS.map((key) => h`<span class="n c-${key}">${COUNT_LABEL[key]}</span>`)}</p>`;
}

function bar(view: BundleView): Markup {
  if (view.bar === null) return h`<p class="bar none">This embargo has no quality bar.</p>`;
  const verdict = (view.bar ?? {}) as BarVerdictJson;
  const tone = verdict.verdict === 'met' ? 's-pass' : verdict.verdict === 'failed' ? 's-fail' : 'c-running';
  const missing = verdict.missing ?? [];
  return h`<div class="bar ${tone}" id="bar"><strong>${barHeadline(view.bar)}</strong>${missing.length ? h`<ul class="missing">${missing.map((line) => h`<li>missing: ${line}</li>`)}</ul>` : nothing}</div>`;
}

function failureRow(view: BundleView, failure: FailureRow): Markup {
  const job = failure.jobId ? h`<a href="${jobPath(view.bundleId, failure.jobId)}">${failure.agent}</a>` : h`${failure.agent}`;
  const inLog = failure.jobId ? h` <a class="quiet" href="${jobPath(view.bundleId, failure.jobId)}${queryOf({ q: failure.case })}#logs">log</a>` : nothing;
  return h`<tr class="failure" data-case="${failure.case}"><td class="hw">${failure.hardwareClass}</td><td>${job}</td><td>${columnTitle(failure.column)}</td><td class="case"><code>${failure.case}</code>${inLog}</td><td>${badge(failure.status)}</td><td>${badge(failure.baseStatus)}</td><td>${failure.caseClass ? h`<span class="class k-${failure.caseClass.replace(' ', '-')}">${failure.caseClass}</span>` : '–'}</td></tr>`;
}

function failures(view: BundleView): Markup {
  const fixed = view.fixed.length ? h`<p class="fixed">Fixed by the series (failed on the base, pass now): ${view.fixed.map((name) => h`<code>${name}</code> `)}</p>` : nothing;
  if (view.failures.length === 0) return h`<p class="empty">No failing case${view.complete ? '' : ' so far'}.</p>${fixed}`;
  return h`<table class="list" id="failures">
<thead><tr><th>Hardware class</th><th>Agent</th><th>Stage</th><th>Case</th><th>Status</th><th>Base</th><th>Against the base</th></tr></thead>
<tbody>${view.failures.map((failure) => failureRow(view, failure))}</tbody>
</table>${fixed}`;
}

function jobRow(view: BundleView, job: JobRow): Markup {
  return h`<tr data-job="${job.jobId}"><td class="hw">${job.hardwareClass}</td><td><a href="${jobPath(view.bundleId, job.jobId)}">${job.agent}</a></td><td>${job.tree}</td><td>${badge(job.status)}</td>${view.columns.map((column) => {
    const ms = job.durations[column];
    return ms === undefined ? h`<td class="num dash">–</td>` : h`<td class="num d-${(job.stageStatus[column] ?? 'none').toLowerCase()}">${formatDuration(ms)}</td>`;
  })}<td class="num">${formatDuration(job.totalMs)}</td></tr>`;
}

/** Says how many rows a table left out, and how to reach them. */
function more(shown: number, total: number): Markup {
  return total > shown ? h`<p class="quiet more">Showing ${shown} of ${total}, worst first: filter by hardware class, status or tree to see the rest.</p>` : nothing;
}

function jobs(view: BundleView): Markup {
  if (view.jobs.length === 0) return h`<p class="empty">No verified result yet.</p>`;
  return h`<table class="list" id="jobs">
<thead><tr><th>Hardware class</th><th>Agent</th><th>Tree</th><th>Result</th>${view.columns.map((column) => h`<th class="num">${columnTitle(column)}</th>`)}<th class="num">Total</th></tr></thead>
<tbody>${view.jobs.map((job) => jobRow(view, job))}</tbody>
</table>${more(view.jobs.length, view.totals.jobs)}`;
}

function waiting(view: BundleView): Markup {
  if (view.waiting.length === 0) return h`<p class="empty">Every recipient has sent a result.</p>`;
  return h`<table class="list" id="waiting">
<thead><tr><th>Hardware class</th><th>Agent</th><th>Tree</th><th>State</th><th>Stage</th></tr></thead>
<tbody>${view.waiting.map((job) => h`<tr data-job="${job.jobId}"><td class="hw">${job.hardwareClass}</td><td>${job.agent}</td><td>${job.tree}</td><td><span class="state st-${job.state}">${job.state}</span></td><td>${job.running.length ? h`<span class="running">${job.running.join(', ')}</span>` : job.stage || '–'}</td></tr>`)}</tbody>
</table>${more(view.waiting.length, view.totals.waiting)}`;
}

/** The part of the bundle page that changes while results arrive. */
export function bundleFragment(view: BundleView): Markup {
  const state = view.complete ? h`<span class="state st-done">complete</span>` : h`<span class="state st-running">running</span>`;
  return h`<div class="summary">${badge(view.status, view.status ?? 'no result yet')} ${state} <span class="counts">${view.totals.jobs} result${view.totals.jobs === 1 ? '' : 's'}, ${view.totals.waiting} waiting</span></div>
${bar(view)}
<section class="card"><h2>Hardware classes × stages</h2>${matrix(view)}</section>
<section class="card"><h2>Failing cases</h2>${failures(view)}</section>
<section class="card"><h2>Stage durations per agent</h2>${jobs(view)}</section>
<section class="card"><h2>Recipients without a result</h2>${waiting(view)}</section>
${view.refused.length ? h`<section class="card warn"><h2>Results not counted</h2><ul>${view.refused.map((line) => h`<li>${line}</li>`)}</ul></section>` : nothing}`;
}

function select(name: string, label: string, current: string | undefined, values: string[]): Markup {
  return h`<label>${label} <select name="${name}"><option value="">all</option>${values.map((value) => h`<option value="${value}"${value === current ? ' selected' : ''}>${value}</option>`)}</select></label>`;
}

function filterForm(view: BundleView, filters: Filters): Markup {
  return h`<form class="filters" method="get" action="${bundlePath(view.bundleId)}">
${select('status', 'Status', filters.status, ['PASS', 'FAIL', 'ERROR', 'MISS', 'SKIP', 'DONE'])}
${select('class', 'Hardware class', filters.hardwareClass, view.choices.classes)}
${select('tree', 'Tree', filters.tree, view.choices.trees)}
${select('workload', 'Workload', filters.workload, view.choices.workloads)}
<button type="submit">Filter</button> <a href="${bundlePath(view.bundleId)}">clear</a>
</form>`;
}

export function bundlePage(view: BundleView, options: { filters: Filters; who: string }): Markup {
  const query = queryOf(filterParams(options.filters));
  const base = bundlePath(view.bundleId);
  const body = h`<div class="title"><h1>Bundle <code>${view.bundleId}</code></h1>
<p class="links"><a href="/embargo/${encodeURIComponent(view.embargo)}">${view.embargo}</a> · <a href="/embargo/${encodeURIComponent(view.embargo)}/hardware">hardware</a> · <a href="${base}/trailers">Tested-by trailers</a></p></div>
${filterForm(view, options.filters)}
<div id="live" data-events="${base}/events" data-fragment="${base}/fragment${query}">${bundleFragment(view)}</div>
<section class="card"><h2>Live</h2><ol id="activity" class="activity"><li class="quiet">Following the coordinator: new progress and results show here and above without a reload.</li></ol></section>`;
  return layout({ title: `Bundle ${view.bundleId.slice(0, 12)}`, crumbs: [{ label: 'Embargoes', href: '/' }, { label: view.embargo, href: `/embargo/${encodeURIComponent(view.embargo)}` }, { label: view.bundleId.slice(0, 12) }], body, who: options.who });
}
