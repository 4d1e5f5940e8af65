// The hardware page: each class of an embargo with its agents and its results across the
// embargo's bundles (one row per bundle, the report's cells). Pure.
import type { darkroom } from '../../../proto/darkroom.js';
import type { ReportJson } from '../../render/report-json.js';
import { bundlePath } from './bundle.js';
import { layout } from './layout.js';
import { badge, columnTitle, formatDate, h, type Markup } from './markup.js';

export interface HardwareInput {
  summary: darkroom.v1.EmbargoSummary.$Properties;
  /** Reports of the embargo's bundles, newest first, with when each was submitted. */
  reports: Array<{ report: ReportJson; createdAtMs: number }>;
}

interface ClassView {
  name: string;
  agents: Array<{ name: string; contact: string }>;
  columns: string[];
  bundles: Array<{ bundleId: string; createdAtMs: number; cells: Map<string, ReportJson['rows'][number]['cells'][number]>; agents: number }>;
}

/** Classes from the embargo's agents and from every report row, in name order. Pure. */
export function hardwareClasses(input: HardwareInput): ClassView[] {
  const classes = new Map<string, ClassView>();
  const classOf = (name: string): ClassView => {
    const known = classes.get(name) ?? { name, agents: [], columns: [], bundles: [] };
    classes.set(name, known);
    return known;
  };
  (input.summary.agents ?? []).forEach((agent, index) => classOf(agent.hardwareClass ?? '').agents.push({ name: agent.name ?? '', contact: input.summary.contacts?.[index] ?? '' }));
  for (const { report, createdAtMs } of input.reports) {
    for (const row of report.rows) {
      const view = classOf(row.hardwareClass);
      for (const column of report.columns) if (!view.columns.includes(column)) view.columns.push(column);
      view.bundles.push({ bundleId: report.bundleId, createdAtMs, cells: new Map(row.cells.map((cell) => [cell.column, cell])), agents: row.agents });
    }
  }
  return [...classes.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function classCard(view: ClassView): Markup {
  return h`<section class="card hwclass" data-class="${view.name}"><h2 class="hw">${view.name || '(no class declared)'}</h2>
<p class="members">${view.agents.length ? view.agents.map((agent) => h`<span class="member" title="${agent.contact}">${agent.name}</span> `) : 'No eligible agent now.'}</p>
${view.bundles.length ? h`<table class="matrix"><thead><tr><th>Bundle</th><th>Submitted</th><th class="num">Agents</th>${view.columns.map((column) => h`<th>${columnTitle(column)}</th>`)}</tr></thead>
<tbody>${view.bundles.map((bundle) => h`<tr><td><a href="${bundlePath(bundle.bundleId)}"><code>${bundle.bundleId.slice(0, 12)}</code></a></td><td>${formatDate(bundle.createdAtMs)}</td><td class="num">${bundle.agents}</td>${view.columns.map((column) => {
    const cell = bundle.cells.get(column);
    return h`<td class="cell ${cell?.status ? `s-${cell.status.toLowerCase()}` : 'none'}">${cell ? badge(cell.status) : '–'}</td>`;
  })}</tr>`)}</tbody></table>` : h`<p class="empty">No result from this class yet.</p>`}</section>`;
}

export function hardwarePage(input: HardwareInput, options: { who: string }): Markup {
  const name = input.summary.name ?? '';
  const body = h`<h1>Hardware of ${name}</h1>${hardwareClasses(input).map(classCard)}`;
  return layout({ title: `Hardware · ${name}`, crumbs: [{ label: 'Embargoes', href: '/' }, { label: name, href: `/embargo/${encodeURIComponent(name)}` }, { label: 'hardware' }], body, who: options.who });
}
