// The embargoes page: each embargo the maintainer maintains with its state, disclosure date, the
// bar in one line, members and bundles with their verdicts; and one embargo's page. Pure.
import type { darkroom } from '../../../proto/darkroom.js';
import { bundlePath } from './bundle.js';
import { layout } from './layout.js';
import { formatDate, h, type Markup } from './markup.js';

type Summary = darkroom.v1.EmbargoSummary.$Properties;

interface BarJson {
  bootClasses?: number | null;
  workloads?: Array<{ name?: string; unit?: string; need?: number }>;
  noNewFailures?: boolean;
  deadlineMs?: number | null;
}

/** `boot on 3 classes · unit on 2 classes · no new failures`, or `no bar`. */
export function barLine(barJson: string | null | undefined): string {
  if (!barJson) return 'no bar';
  let bar: BarJson;
  try {
    bar = JSON.parse(barJson) as BarJson;
  } catch {
    return 'a bar this dashboard cannot read';
  }
  const parts: string[] = [];
  if (bar.bootClasses) parts.push(`boot on ${bar.bootClasses} classes`);
  for (const workload of bar.workloads ?? []) parts.push(`${workload.name} on ${workload.need} ${workload.unit}`);
  if (bar.noNewFailures) parts.push('no new failures');
  if (bar.deadlineMs) parts.push(`by ${formatDate(bar.deadlineMs)}`);
  return parts.length ? parts.join(' · ') : 'an empty bar';
}

function verdictOf(json: string | null | undefined): string | null {
  if (!json) return null;
  try {
    const verdict = (JSON.parse(json) as { verdict?: unknown }).verdict;
    return typeof verdict === 'string' ? verdict : null;
  } catch {
    return null;
  }
}

function verdictBadge(json: string | null | undefined): Markup {
  const verdict = verdictOf(json);
  if (!verdict) return h`<span class="badge none">no bar</span>`;
  return h`<span class="badge ${verdict === 'met' ? 's-pass' : verdict === 'failed' ? 's-fail' : 'c-running'}">bar ${verdict}</span>`;
}

function stateBadge(state: string): Markup {
  return h`<span class="badge ${state === 'active' ? 's-pass' : 'none'}">${state}</span>`;
}

function bundles(summary: Summary): Markup {
  const list = [...(summary.bundles ?? [])].sort((a, b) => Number(b.createdAtMs ?? 0) - Number(a.createdAtMs ?? 0));
  if (list.length === 0) return h`<p class="empty">No bundle submitted yet.</p>`;
  return h`<table class="list bundles"><thead><tr><th>Bundle</th><th>Submitted</th><th>By</th><th>Trees</th><th>Workloads</th><th>Jobs</th><th>Verdict</th></tr></thead>
<tbody>${list.map((bundle) => h`<tr><td><a href="${bundlePath(bundle.bundleId ?? '')}"><code>${(bundle.bundleId ?? '').slice(0, 12)}</code></a></td><td>${formatDate(Number(bundle.createdAtMs ?? 0))}</td><td>${bundle.submitter}</td><td>${(bundle.trees ?? []).join(', ')}</td><td>${(bundle.workloads ?? []).join(', ') || 'all declared'}</td><td>${bundle.complete ? h`<span class="state st-done">ended</span>` : h`<span class="state st-running">running</span>`}</td><td>${verdictBadge(bundle.barVerdictJson)}</td></tr>`)}</tbody></table>`;
}

function members(summary: Summary): Markup {
  const agents = summary.agents ?? [];
  return h`<p class="members"><strong>Testers</strong> (${summary.testers}): ${agents.length ? agents.map((agent) => h`<span class="member">${agent.name} <span class="hw">${agent.hardwareClass}</span></span> `) : 'none enrolled'}</p>
<p class="members"><strong>Maintainers</strong> (${summary.maintainers}): ${(summary.members ?? []).map((member) => h`<span class="member">${member.name}</span> `)}</p>`;
}

export function embargoCard(summary: Summary): Markup {
  const name = summary.name ?? '';
  return h`<section class="card embargo" data-embargo="${name}"><h2><a href="/embargo/${encodeURIComponent(name)}">${name}</a> ${stateBadge(summary.state ?? '')}</h2>
<p class="facts"><span>Disclosure <strong>${formatDate(Number(summary.untilMs ?? 0))}</strong></span> <span>Bar: ${barLine(summary.barJson)}</span> <a href="/embargo/${encodeURIComponent(name)}/hardware">hardware</a></p>
${members(summary)}
${bundles(summary)}</section>`;
}

export function embargoesPage(list: readonly Summary[], options: { who: string }): Markup {
  const body = list.length
    ? h`<h1>Embargoes</h1>${list.map(embargoCard)}`
    : h`<h1>Embargoes</h1><p class="empty">You maintain no embargo yet: ask the coordinator's administrator to name you in one.</p>`;
  return layout({ title: 'Embargoes', crumbs: [{ label: 'Embargoes' }], body, who: options.who });
}

export function embargoPage(summary: Summary, options: { who: string }): Markup {
  return layout({ title: summary.name ?? '', crumbs: [{ label: 'Embargoes', href: '/' }, { label: summary.name ?? '' }], body: embargoCard(summary), who: options.who });
}
