// The Tested-by trailers of a bundle, ready to copy into the commit message. Pure.
import type { Trailer } from '../../trailers.js';
import { bundlePath } from './bundle.js';
import { layout } from './layout.js';
import { h, nothing } from './markup.js';

/** The text a maintainer pastes: each tester's Tested-by line, then its result references. */
export function trailerText(trailers: readonly Trailer[]): string {
  return trailers.flatMap((trailer) => [trailer.testedBy, ...trailer.references]).join('\n');
}

export function trailersPage(input: { bundleId: string; embargo: string; trailers: readonly Trailer[]; refused: readonly string[] }, options: { who: string }) {
  const text = trailerText(input.trailers);
  const body = h`<h1>Tested-by trailers of <code>${input.bundleId.slice(0, 12)}</code></h1>
<section class="card"><p class="quiet">One trailer per tester whose latest signed results for this bundle all passed, each verified against the key pinned in your home.</p>
${text ? h`<pre id="trailers" class="trailers">${text}</pre><button type="button" id="copy-trailers" data-copy="trailers">Copy</button> <span id="copy-done" class="quiet"></span>` : h`<p class="empty">No tester has passing, verified results for this bundle yet.</p>`}</section>
${input.refused.length ? h`<section class="card warn"><h2>Results not counted</h2><ul>${input.refused.map((line) => h`<li>${line}</li>`)}</ul></section>` : nothing}`;
  return layout({ title: 'Trailers', crumbs: [{ label: 'Embargoes', href: '/' }, { label: input.embargo, href: `/embargo/${encodeURIComponent(input.embargo)}` }, { label: input.bundleId.slice(0, 12), href: bundlePath(input.bundleId) }, { label: 'trailers' }], body, who: options.who });
}
