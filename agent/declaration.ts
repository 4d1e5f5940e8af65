// What this agent tells the coordinator it offers: hardware, class, trees, workloads, concurrency.
import type { darkroom } from '../proto/darkroom.js';
import { SOFTWARE } from '../shared/version.js';
import type { AgentConfig } from './config/index.js';
import { declaredWorkloads } from './config/trees.js';
import { profileToProto, resolveHardwareClass, type HardwareProfile } from './hardware/index.js';

export type Declaration = darkroom.v1.AgentDeclaration.$Properties;

/** The declaration sent at enrolment and after every Welcome (the config may have changed). */
export function buildDeclaration(config: AgentConfig, profile: HardwareProfile): Declaration {
  return {
    profile: profileToProto(profile),
    hardwareClass: resolveHardwareClass(config.hardwareClass, profile),
    trees: config.trees.map((tree) => ({ name: tree.name })),
    workloads: declaredWorkloads(config),
    concurrency: config.concurrency,
    software: SOFTWARE,
  };
}
