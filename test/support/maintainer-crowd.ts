// A running coordinator with a crowd of enrolled maintainers of one embargo, each with an open
// connection, plus a submitting maintainer's home: shared by the notification test and bench.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { darkroom } from '../../proto/darkroom.js';
import { initCoordinator } from '../../coordinator/admin/init.js';
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from '../../coordinator/server/coordinator.js';
import { Store } from '../../coordinator/store/store.js';
import { connectMaintainer, enrolMaintainer, type MaintainerConnection } from '../../maintainer/connection.js';
import { MaintainerHome } from '../../maintainer/home.js';
import { submitBundle, type Submitted } from '../../maintainer/submit.js';
import { generateIdentity, type Identity } from '../../shared/identity.js';
import { silentLogger } from '../../shared/log.js';
import type { Channel } from '../../transport/channel.js';
import { approveAgents } from './approvals.js';
import { connect } from '../../transport/connect.js';

export const CROWD_EMBARGO = 'cve-crowd';
export const CROWD_TREE = 'linux-6.1.y';
export const CROWD_GROUP = 'crowd';
const TOKEN_TTL_MS = 3_600_000;
const EMBARGO_DAYS_MS = 86_400_000;

export interface Crowd {
  coordinator: RunningCoordinator;
  /** The admin's own database connection, as the CLI has. */
  admin: Store;
  /** One open connection per enrolled maintainer of the embargo, not yet subscribed. */
  watchers: Channel[];
  /** An enrolled maintainer who is not in the embargo, connected. */
  outsider: Channel;
  home: MaintainerHome;
  submitter: MaintainerConnection;
  /** Submits `patch` as a one-patch series through the maintainer client's submit path. */
  submit(patch: Uint8Array, connection?: MaintainerConnection): Promise<Submitted>;
  close(): Promise<void>;
}

function enrolDirect(admin: Store, name: string, groups: string[]): Identity {
  const now = Date.now();
  const token = admin.write(() => admin.tokens.issue({ role: 'maintainer', name, groups, ttlMs: TOKEN_TTL_MS }, now)).token;
  const keys = generateIdentity();
  admin.enrol({ token, role: 'maintainer', keys }, now);
  return keys;
}

/** `size` maintainers enrolled in the store, one agent to seal to, the submitter enrolled over the wire. */
export async function startCrowd(dir: string, options: { size: number; coordinator?: CoordinatorOptions }): Promise<Crowd> {
  const dataDir = join(dir, 'coordinator');
  await initCoordinator(dataDir);
  const admin = Store.open(dataDir);
  const now = Date.now();
  const agentToken = admin.write(() => admin.tokens.issue({ role: 'agent', name: 'lab-a', groups: [] }, now)).token;
  admin.enrol({ token: agentToken, role: 'agent', keys: generateIdentity(), declaration: { profile: { arch: 'x86_64' }, hardwareClass: 'x86_64-test', trees: [CROWD_TREE], workloads: [], concurrency: 1 } }, now);
  const crowd = Array.from({ length: options.size }, (_, index) => enrolDirect(admin, `m-${index.toString().padStart(3, '0')}`, [CROWD_GROUP]));
  const outsiderKeys = enrolDirect(admin, 'outsider', []);
  const submitterToken = admin.write(() => admin.tokens.issue({ role: 'maintainer', name: 'submitter', groups: [CROWD_GROUP], ttlMs: TOKEN_TTL_MS }, now)).token;

  const coordinator = await startCoordinator(dataDir, { host: '127.0.0.1', port: 0, logger: silentLogger, allowPrivateWebhooks: true, ...options.coordinator });
  const home = new MaintainerHome(join(dir, 'home'));
  await enrolMaintainer(home, { coordinator: coordinator.url, fingerprint: coordinator.fingerprint, token: submitterToken, logger: silentLogger });
  admin.write(() => admin.embargoes.create({ name: CROWD_EMBARGO, testers: 'lab-a', maintainers: `@${CROWD_GROUP}`, until: new Date(now + EMBARGO_DAYS_MS).toISOString() }, { actor: 'admin', now }));

  const open = (identity: Identity) => connect({ url: coordinator.url, identity, role: darkroom.v1.Role.ROLE_MAINTAINER, fingerprint: coordinator.fingerprint, logger: silentLogger });
  const watchers = (await Promise.all(crowd.map(open))).map((connected) => connected.channel);
  const outsider = (await open(outsiderKeys)).channel;
  await approveAgents(home, admin.parties.list('agent'));
  const submitter = await connectMaintainer(home, { logger: silentLogger });
  let submits = 0;
  return {
    coordinator, admin, watchers, outsider, home, submitter,
    submit: async (patch, connection = submitter) => {
      const series = join(dir, `series-${submits++}`);
      await mkdir(series);
      await writeFile(join(series, '0001-fix.patch'), patch);
      return submitBundle(home, connection, { embargo: CROWD_EMBARGO, targets: [{ tree: CROWD_TREE, base: 'v6.1', series }], workloads: [] });
    },
    close: async () => {
      for (const channel of [...watchers, outsider]) channel.close(1000, 'done');
      submitter.close();
      await coordinator.close();
      admin.close();
    },
  };
}
