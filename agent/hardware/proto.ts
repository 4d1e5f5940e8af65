// A hardware profile as the wire carries it (AgentDeclaration.profile, Result.profile).
import { darkroom } from '../../proto/darkroom.js';
import type { HardwareProfile } from './profile.js';

export function profileToProto(profile: HardwareProfile): darkroom.v1.HardwareProfile {
  return darkroom.v1.HardwareProfile.create({ ...profile });
}
