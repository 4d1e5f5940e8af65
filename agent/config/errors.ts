// The agent config's one error class: a config that cannot be read, is invalid, lacks a tree, or
// trusts no maintainer (so the agent could run nothing).
import { DarkroomError } from '../../shared/errors.js';

export type ConfigErrorCode = 'CONFIG_UNREADABLE' | 'CONFIG_INVALID' | 'TREE_UNKNOWN' | 'NO_TRUSTED_MAINTAINERS';

/** A config that cannot be used; `problems` holds one "file:line: key: what" line per problem. */
export class ConfigError extends DarkroomError<ConfigErrorCode> {
  readonly problems: readonly string[];

  constructor(code: ConfigErrorCode, message: string, options: { problems?: readonly string[]; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.problems = options.problems ?? [message];
  }
}
