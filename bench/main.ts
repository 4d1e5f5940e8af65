// `npm run bench [-- NAME...]`: every benchmark, or only the named ones, as one JSON document on
// stdout. Figures are ratios against a baseline measured in the same run, because this machine is
// shared and noisy.
import { cpus } from 'node:os';
import { benchAgent } from './agent.js';
import { benchBar } from './bar.js';
import { benchBaseRun } from './base-run.js';
import { benchDashboard } from './dashboard.js';
import { benchLoad } from './load.js';
import { benchMail } from './mail.js';
import { benchNotify } from './notify.js';
import { benchSeal } from './seal.js';
import { benchVerify } from './verify.js';

const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  seal: benchSeal, verify: benchVerify, notify: benchNotify, mail: benchMail, bar: benchBar,
  dashboard: benchDashboard, 'base-run': benchBaseRun, agent: benchAgent, load: benchLoad,
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in benches));
if (unknown.length > 0) {
  process.stderr.write(`No benchmark named ${unknown.join(', ')}: name one or more of ${Object.keys(benches).join(', ')}, or none to run them all\n`);
  process.exit(2);
}
const results: Record<string, unknown>[] = [];
for (const name of asked.length > 0 ? asked : Object.keys(benches)) results.push(await benches[name]!());
process.stdout.write(`${JSON.stringify({ node: process.version, cpus: cpus().length, results }, null, 2)}\n`);
