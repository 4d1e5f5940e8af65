// Who runs an admin command, as the audit log records it: "admin:<login>".
import { userInfo } from 'node:os';

export function adminActor(): string {
  try {
    return `admin:${userInfo().username}`;
  } catch {
    return `admin:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
