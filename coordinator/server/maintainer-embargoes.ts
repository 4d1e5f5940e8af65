// The embargoes a maintainer maintains, as the local dashboard lists them: state, dates, members,
// bundles and their bar verdicts. Metadata the coordinator holds anyway; no sealed content.
import type { darkroom } from '../../proto/darkroom.js';
import type { Embargo } from '../store/embargoes.js';
import { embargoState } from '../store/embargoes.js';
import { formatMembers } from '../store/members.js';
import type { Party } from '../store/parties.js';
import type { Store } from '../store/store.js';
import { barVerdictJson } from './bar-judge.js';
import { recipientOf } from './maintainer-pack.js';
import { bundleComplete } from './maintainer-views.js';

function summaryOf(store: Store, embargo: Embargo, now: number): darkroom.v1.EmbargoSummary.$Properties {
  const agents = store.embargoes.eligibleTesters(embargo);
  return {
    name: embargo.name,
    state: embargoState(embargo, now),
    untilMs: embargo.untilMs,
    barJson: embargo.barJson ?? '',
    testers: formatMembers(embargo.testers),
    maintainers: formatMembers(embargo.maintainers),
    agents: agents.map(recipientOf),
    contacts: agents.map((agent) => agent.contact ?? ''),
    members: store.embargoes.maintainersOf(embargo).map(recipientOf),
    bundles: store.bundles.byEmbargo(embargo.id).filter((bundle) => bundle.complete).map((bundle) => ({
      bundleId: bundle.id,
      createdAtMs: bundle.createdAt,
      trees: bundle.trees,
      workloads: bundle.workloads,
      complete: bundleComplete(store.jobs.byBundle(bundle.id)),
      barVerdictJson: barVerdictJson(store, bundle, { now }),
      submitter: store.parties.byId(bundle.submitterId)?.name ?? '',
    })),
  };
}

/** Every embargo `party` maintains (open or closed), newest deadline first. */
export function embargoListOf(store: Store, party: Party, options: { now: number }): darkroom.v1.EmbargoList.$Properties {
  const maintained = store.embargoes.list().filter((embargo) => store.embargoes.isMaintainerOf(party, embargo));
  return { embargoes: maintained.sort((a, b) => b.untilMs - a.untilMs).map((embargo) => summaryOf(store, embargo, options.now)) };
}
