// `darkroom logs`: fetch a bundle's sealed job logs and open them here, trusting only each job's agent.
import { openLogs, type OpenedLogs } from '../shared/bundle/index.js';
import { DarkroomError } from '../shared/errors.js';
import { fingerprint, type Identity } from '../shared/identity.js';
import { WireError } from '../shared/wire/errors.js';
import type { MaintainerConnection } from './connection.js';
import type { AgentPin } from './home.js';

export type LogsErrorCode = 'AGENT_KEY_CHANGED';

export class LogsError extends DarkroomError<LogsErrorCode> {}

export interface JobLogs {
  jobId: string;
  agent: string;
  attempt: number;
  files: OpenedLogs['files'];
}

/** True when a log file (named after its stage, e.g. workload_ltp.log) belongs to `stage`. */
export function matchesStage(fileName: string, stage: string): boolean {
  const base = fileName.replace(/\.log$/, '');
  const wanted = stage.replace(/[^A-Za-z0-9._-]/g, '_');
  return base === wanted || base === `workload_${wanted}`;
}

/**
 * The signing keys to trust for each agent: only agents the maintainer pinned (when submitting),
 * and only when the coordinator's answer matches the pin. An agent the coordinator lists but the
 * maintainer never pinned gets no key: its logs are not opened.
 */
export function agentKeys(agents: ReadonlyArray<{ name?: string | null; signKey?: Uint8Array | null; boxKey?: Uint8Array | null }>, pins: Record<string, AgentPin>): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  for (const agent of agents) {
    const name = agent.name ?? '';
    const keyPair = { signKey: agent.signKey ?? new Uint8Array(), boxKey: agent.boxKey ?? new Uint8Array() };
    const pin = Object.hasOwn(pins, name) ? pins[name] : undefined;
    if (!pin) continue;
    if (pin.fingerprint !== fingerprint(keyPair)) {
      throw new LogsError('AGENT_KEY_CHANGED', `The coordinator gives agent '${name}' the key ${fingerprint(keyPair)}, but ${pin.fingerprint} is pinned: its logs are not trusted; check with the tester`);
    }
    keys.set(name, keyPair.signKey);
  }
  return keys;
}

/** What `darkroom logs` found: the opened logs, and the agents whose logs were left sealed because they are not pinned. */
export interface FetchedLogs {
  jobs: JobLogs[];
  unpinned: string[];
}

/** Fetches and opens the logs of a bundle's jobs (optionally one agent's), of pinned agents only. */
export async function fetchLogs(connection: MaintainerConnection, options: { bundleId: string; agent?: string; pins: Record<string, AgentPin> }): Promise<FetchedLogs> {
  const results = await connection.channel.request({ resultsRequest: { bundleId: options.bundleId } });
  if (!results.results) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a results request with '${results.body}'`);
  const keys = agentKeys(results.results.agents ?? [], options.pins);
  const reply = await connection.channel.request({ logsRequest: { bundleId: options.bundleId, agent: options.agent ?? '' } });
  if (!reply.logs) throw new WireError('UNEXPECTED_MESSAGE', `Coordinator answered a logs request with '${reply.body}'`);
  const opened: JobLogs[] = [];
  const unpinned = new Set<string>();
  for (const entry of reply.logs.entries ?? []) {
    const agent = entry.agent ?? '';
    const key = keys.get(agent);
    if (key === undefined) {
      unpinned.add(agent);
      continue;
    }
    const identity: Pick<Identity, 'boxKey' | 'boxSecret'> = connection.identity;
    const logs = await openLogs(entry.sealedLogs ?? new Uint8Array(), {
      identity,
      trust: (parsed) => key !== undefined && Buffer.from(parsed.signerKey).equals(Buffer.from(key)) && parsed.header.subjectId === entry.jobId,
    });
    opened.push({ jobId: entry.jobId ?? '', agent, attempt: entry.attempt ?? 0, files: logs.files });
  }
  return { jobs: opened, unpinned: [...unpinned].sort() };
}
