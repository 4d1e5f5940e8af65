// The job page: its stages and cases, and the decrypted logs in a viewer with numbered, linkable
// lines and a search box (the served script does the searching). Pure.
import { formatDuration } from '../../render/watch-model.js';
import type { JobView, LogFile, StageRow } from '../job-view.js';
import { bundlePath } from './bundle.js';
import { layout } from './layout.js';
import { badge, columnTitle, h, nothing, type Markup } from './markup.js';

/** Lines that kernel people look for first: TAP/KTAP failures, oopses, errors. */
const NOTABLE = /^\s*(not ok\b|# FAIL|BUG:|WARNING:|Oops|Kernel panic|Call Trace:|make: \*\*\*|.*\berror:)/;

function stages(view: JobView): Markup {
  if (view.stages.length === 0) return h`<p class="empty">No verified result for this job yet.</p>`;
  return h`<table class="list" id="stages">
<thead><tr><th>Stage</th><th>Status</th><th>Base</th><th class="num">Duration</th><th>Cases</th><th>Reason</th></tr></thead>
<tbody>${view.stages.map((stage) => h`<tr><td>${columnTitle(stage.name)}</td><td>${badge(stage.status)}</td><td>${badge(stage.baseStatus)}</td><td class="num">${formatDuration(stage.durationMs)}</td><td class="num">${stage.cases.length}</td><td>${stage.reason || '–'}</td></tr>`)}</tbody>
</table>`;
}

function caseTable(stage: StageRow): Markup {
  return h`<details class="cases"${stage.cases.some((c) => c.status === 'FAIL') ? ' open' : ''}><summary>${columnTitle(stage.name)}: ${stage.cases.length} case${stage.cases.length === 1 ? '' : 's'}</summary>
<table class="list"><thead><tr><th>Case</th><th>Status</th><th>Base</th><th>Against the base</th></tr></thead>
<tbody>${stage.cases.map((c) => h`<tr data-case="${c.name}"><td class="case"><code>${c.name}</code></td><td>${badge(c.status)}</td><td>${badge(c.baseStatus)}</td><td>${c.caseClass ? h`<span class="class k-${c.caseClass.replace(' ', '-')}">${c.caseClass}</span>` : '–'}</td></tr>`)}</tbody></table></details>`;
}

function logFile(file: LogFile, index: number): Markup {
  const id = `f${index}`;
  return h`<section class="logfile" id="${id}"><h3><a href="#${id}">${file.name}</a> <span class="quiet">${file.lines.length} lines</span></h3>
<pre class="log">${file.lines.map((line, n) => h`<span class="line${NOTABLE.test(line) ? ' notable' : ''}" id="${id}-L${n + 1}"><a class="ln" href="#${id}-L${n + 1}">${n + 1}</a>${line}
</span>`)}</pre>${file.omitted ? h`<p class="quiet">${file.omitted} more lines not shown: read them with <code>darkroom logs</code>.</p>` : nothing}</section>`;
}

export function jobPage(view: JobView, options: { who: string; embargo: string }): Markup {
  const withCases = view.stages.filter((stage) => stage.cases.length > 0);
  const body = h`<div class="title"><h1>Job <code>${view.jobId}</code> ${badge(view.status, view.status ?? 'no result')}</h1>
<p class="links">${view.agent} · <span class="hw">${view.hardwareClass}</span> · tree ${view.tree} · attempt ${view.attempt}${view.resultId ? h` · result <code>${view.resultId}</code> signed by <code>${view.signedBy}</code>` : nothing}</p></div>
<section class="card"><h2>Stages</h2>${stages(view)}</section>
${withCases.length ? h`<section class="card"><h2>Cases</h2>${withCases.map(caseTable)}</section>` : nothing}
<section class="card" id="logs"><h2>Logs <span class="quiet">decrypted here with your key</span></h2>
${view.logs.length ? h`<div class="logbar"><input type="search" id="log-search" placeholder="Search the logs (press / to focus)" autocomplete="off"> <label><input type="checkbox" id="log-only"> only matching lines</label> <span id="log-count" class="quiet"></span> <span class="files">${view.logs.map((file, index) => h`<a href="#f${index}">${file.name}</a> `)}</span></div>${view.logs.map(logFile)}` : h`<p class="empty">No logs for this job yet.</p>`}
</section>`;
  return layout({ title: `Job ${view.jobId.slice(0, 12)}`, crumbs: [{ label: 'Embargoes', href: '/' }, { label: options.embargo, href: `/embargo/${encodeURIComponent(options.embargo)}` }, { label: view.bundleId.slice(0, 12), href: bundlePath(view.bundleId) }, { label: `${view.agent} job` }], body, who: options.who });
}
