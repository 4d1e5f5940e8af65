// `npm run bench`: every benchmark, one JSON document on stdout. Figures are ratios against a
// baseline measured in the same run, because this machine is shared and noisy.
import { benchAgent } from './agent.js';
import { benchBar } from './bar.js';
import { benchBaseRun } from './base-run.js';
import { benchDashboard } from './dashboard.js';
import { benchLoad } from './load.js';
import { benchNotify } from './notify.js';
import { benchSeal } from './seal.js';
import { benchVerify } from './verify.js';

const benches = [benchSeal, benchVerify, benchNotify, benchBar, benchDashboard, benchBaseRun, benchAgent, benchLoad];

const results: Record<string, unknown>[] = [];
for (const bench of benches) results.push(await bench());
process.stdout.write(`${JSON.stringify({ node: process.version, cpus: (await import('node:os')).cpus().length, results }, null, 2)}\n`);
