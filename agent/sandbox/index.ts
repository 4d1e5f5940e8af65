// The sandbox every command of a job runs in (bubblewrap): the policies, the command line they
// become, and the check that it works on this machine. Used by the process runner and the git steps.
export { BWRAP, ENV_ALLOW_LIST, PASSED_DEVICES, STATUS_FD, bwrapArgs, commandRan, sandboxEnvironment, wrapCommand, type SandboxPolicy } from './policy.js';
export { JobSandbox, type JobLayout } from './job-sandbox.js';
export { diagnose, probeSandbox, PROBE_TIMEOUT_MS, SandboxError, UNSAFE_NO_SANDBOX, type ProbeFacts, type SandboxErrorCode, type SandboxProbe } from './probe.js';
