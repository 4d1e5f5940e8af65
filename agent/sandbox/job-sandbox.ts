// The policies of one job's commands: what of the agent's machine a stage command and a git step
// of the job may see. Pure: built from the job's paths, nothing is read or started here.
import { sandboxEnvironment, type SandboxPolicy } from './policy.js';

/** Where a job's files and the agent's secrets are, as the agent laid them out. */
export interface JobLayout {
  /** Keys, enrolment, outbox, base cache, process records: hidden from every command. */
  stateDir: string;
  /** Every job's workspace, clones and build directories: hidden but for this job's own. */
  workspaceRoot: string;
  /** This job's workspace (series, logs, scratch). */
  jobDir: string;
  /** Scratch space in the job's workspace: the commands' HOME. */
  scratchDir: string;
  /** The job's private clone of the tester's tree. */
  cloneDir: string;
  /** The tree's out-of-tree build directory. */
  buildDir: string;
  /** The tester's own checkout, which the clone borrows objects from (read-only). */
  treeSource: string;
  /** The folder of agent.yaml, with the lab's own scripts (read-only). */
  configDir: string;
  /** The tester opened the network for every command of this tree. */
  treeNetwork: boolean;
}

/** A git step's HOME: the sandbox's own empty /tmp, so no config file of the series is read. */
const GIT_HOME = '/tmp';

export class JobSandbox {
  readonly #layout: JobLayout;
  readonly #hostEnv: Readonly<Record<string, string | undefined>>;

  constructor(layout: JobLayout, hostEnv: Readonly<Record<string, string | undefined>>) {
    this.#layout = layout;
    this.#hostEnv = hostEnv;
  }

  /**
   * A stage command (build, boot, workload, base run): the job's workspace, clone and build
   * directory writable, the tester's tree and the config folder readable, the state directory and
   * the other jobs hidden; the network only when the tree or this workload opened it.
   */
  command(options: { network?: boolean } = {}): SandboxPolicy {
    const l = this.#layout;
    return {
      readable: [l.treeSource, l.configDir],
      hidden: [l.stateDir, l.workspaceRoot],
      writable: [l.jobDir, l.cloneDir, l.buildDir],
      ownReadable: [],
      network: l.treeNetwork || options.network === true,
      env: sandboxEnvironment(this.#hostEnv, { HOME: l.scratchDir }),
    };
  }

  /**
   * A git step on the clone (clone, fetch, checkout, am, reset): the clone writable, the tester's
   * tree readable, and `inputs` of the job's workspace (the patch files) readable.
   */
  git(inputs: readonly string[] = []): SandboxPolicy {
    const l = this.#layout;
    return {
      readable: [l.treeSource],
      hidden: [l.stateDir, l.workspaceRoot],
      writable: [l.cloneDir],
      ownReadable: inputs,
      network: false,
      env: sandboxEnvironment(this.#hostEnv, { HOME: GIT_HOME }),
    };
  }
}
