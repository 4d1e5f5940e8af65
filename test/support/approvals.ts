// Approving agents in a maintainer's home before a non-interactive submit, as a maintainer does
// with `darkroom trust agent NAME --fingerprint …` after the tester sent the fingerprint.
import type { MaintainerHome } from '../../maintainer/home.js';
import { approveParties } from '../../maintainer/approvals.js';

/** Approves each agent by the fingerprint the test learnt outside the coordinator's answers. */
export async function approveAgents(home: MaintainerHome, agents: Iterable<{ name: string; fingerprint: string }>): Promise<void> {
  await approveParties(home, [...agents].map((agent) => ({ name: agent.name, role: 'agent' as const, fingerprint: agent.fingerprint })));
}
