// The messages between a load run and its light-agent host processes, over Node's IPC channel.
import type { LightAgentSettings, LightChange } from './light-agent.js';

export type HostCommand =
  | { kind: 'enrol'; settings: LightAgentSettings; tokens: string[] }
  | { kind: 'connect' }
  | { kind: 'configure'; change: LightChange }
  | { kind: 'reset-marks' }
  | { kind: 'sync' }
  | { kind: 'release' }
  | { kind: 'held-results' }
  | { kind: 'plain-connect'; url: string; count: number }
  /** Each open plain client sends its share of these SignedResults (base64), all in one turn. */
  | { kind: 'plain-send'; results: string[] }
  | { kind: 'status' }
  | { kind: 'stop' };

/** Totals over a host's agents; times are monotonic ms (test/support/load-clock.ts). */
export interface HostStatus {
  agents: number;
  connected: number;
  /** Agents that received at least one offer since the marks were reset. */
  offeredAgents: number;
  jobs: number;
  offers: number;
  signed: number;
  held: number;
  resultsSent: number;
  acked: number;
  duplicateAcks: number;
  connects: number;
  connectFailures: number;
  refusedProgress: number;
  /** The latest of the agents' first offers since the reset. */
  lastFirstOfferAt: number | null;
  /** The largest JobOffer envelope an agent received, encoded. */
  offerEnvelopeBytes: number;
  firstSentAt: number | null;
  lastAckAt: number | null;
  errors: string[];
  plainOpen: number;
  /** Plain clients that received a message since the marks were reset. */
  plainReceived: number;
  /** Messages the plain clients received since the reset (the floor's acknowledgements). */
  plainMessages: number;
  plainFirstSentAt: number | null;
  plainLastAt: number | null;
}

export type HostReply =
  | { kind: 'done'; of: HostCommand['kind'] }
  | { kind: 'failed'; of: HostCommand['kind']; message: string }
  | { kind: 'status'; status: HostStatus }
  | { kind: 'held-results'; results: string[] };
