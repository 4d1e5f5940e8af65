// Lookups in a settled agent config that the daemon and its jobs make.
import type { AgentConfig } from './resolve.js';
import { ConfigError } from './errors.js';
import type { TreeSettings } from '../pipeline/settings.js';

/** The settings of one declared tree, for a job that names it. */
export function treeSettings(config: AgentConfig, treeName: string): TreeSettings {
  const tree = config.trees.find((candidate) => candidate.name === treeName);
  if (!tree) {
    const declared = config.trees.map((candidate) => candidate.name).join(', ');
    throw new ConfigError('TREE_UNKNOWN', `Tree ${treeName} is not declared in ${config.file} (declared: ${declared}): add it under trees`);
  }
  return tree;
}

/** Every workload declared for any tree, by name, for the agent's declaration to the coordinator. */
export function declaredWorkloads(config: AgentConfig): { name: string; format: string }[] {
  const byName = new Map<string, string>();
  for (const tree of config.trees) for (const workload of tree.workloads) if (!byName.has(workload.name)) byName.set(workload.name, workload.format);
  return [...byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, format]) => ({ name, format }));
}
