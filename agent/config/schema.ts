// The shape of agent.yaml as a tester writes it: strict objects, so a misspelt key is an error.
import { z } from 'zod';
import { messageOf } from '../../shared/errors.js';
import { normalizeFingerprint } from '../../shared/identity.js';
import { parseDuration } from './duration.js';

/** Most jobs a lab machine runs at once; more is a typo, not a lab. */
export const MAX_CONCURRENCY = 64;
/** Longest `public_lab` name: what a public results database shows as the lab. */
export const MAX_PUBLIC_LAB_LENGTH = 80;
/** Largest guest memory a qemu boot may ask for, in MiB. */
export const MAX_QEMU_MEMORY_MB = 1_048_576;
/** Most virtual CPUs a qemu boot may ask for. */
export const MAX_QEMU_CPUS = 1_024;
export const WORKLOAD_FORMATS = ['exit-code', 'tap', 'ktap', 'ltp', 'junit'] as const;
export const BOOT_METHODS = ['none', 'command', 'qemu', 'kexec', 'reboot'] as const;
/** `bubblewrap` (the default) runs every command of a job in the sandbox; `none` is the unsafe opt-out. */
export const SANDBOX_MODES = ['bubblewrap', 'none'] as const;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CLASS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+/-]{0,127}$/;
const NAME_RULE = 'a name of letters, digits, dot, dash or underscore (at most 64)';

/** How a value arrived, for messages: strings quoted, nothing said as such. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** An error map saying what was expected and what arrived; a missing value is "is required". */
function expected(what: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `expected ${what}, got ${describeValue(issue.input)}`);
}

const text = (what = 'a string') => z.string({ error: expected(what) }).trim().min(1, { error: `expected ${what}, got an empty string` });
const shell = () => text('a shell command');
const name = () => z.string({ error: expected(NAME_RULE) }).regex(NAME_PATTERN, { error: (issue) => `expected ${NAME_RULE}, got ${describeValue(issue.input)}` });

const duration = () =>
  z.string({ error: expected('a duration like 10m') }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 10m, got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    return ms;
  });

/** A fingerprint in its canonical spelling (case and dashes do not matter). */
const fingerprint = () =>
  text('a fingerprint like DR1:XXXX-…').transform((value, ctx) => {
    try {
      return normalizeFingerprint(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: messageOf(error), input: value });
      return z.NEVER;
    }
  });

const integer = (min: number, max: number) =>
  z.number({ error: expected(`a whole number from ${min} to ${max}`) })
    .int({ error: (issue) => `expected a whole number from ${min} to ${max}, got ${describeValue(issue.input)}` })
    .min(min, { error: (issue) => `expected a whole number from ${min} to ${max}, got ${describeValue(issue.input)}` })
    .max(max, { error: (issue) => `expected a whole number from ${min} to ${max}, got ${describeValue(issue.input)}` });

const object = <Shape extends z.ZodRawShape>(shape: Shape, what: string) => z.strictObject(shape, { error: expected(what) });

const commandStage = object({ command: shell(), timeout: duration().optional() }, 'a mapping with command and timeout');

/** A bad `method` is reported on the method key; anything but a mapping on the boot key. */
function bootError(issue: { code?: string; input?: unknown }): string {
  const methods = BOOT_METHODS.join(', ');
  if (issue.code !== 'invalid_union') return `expected a mapping with method: one of ${methods}, got ${describeValue(issue.input)}`;
  const method = (issue.input as { method?: unknown } | undefined)?.method;
  return method === undefined ? `is required: one of ${methods}` : `expected one of ${methods}, got ${describeValue(method)}`;
}

const boot = z.discriminatedUnion(
  'method',
  [
    object({ method: z.literal('none') }, 'a boot mapping'),
    object({ method: z.literal('command'), command: shell(), timeout: duration().optional() }, 'a boot mapping'),
    object(
      {
        method: z.literal('qemu'),
        binary: text('a program name or path').optional(),
        kernel: text('a path').optional(),
        memory_mb: integer(16, MAX_QEMU_MEMORY_MB).optional(),
        cpus: integer(1, MAX_QEMU_CPUS).optional(),
        append: z.string({ error: expected('a kernel command line') }).optional(),
        extra_args: z.array(z.string({ error: expected('a string') }), { error: expected('a list of arguments') }).optional(),
        busybox: text('a path').optional(),
        gen_init_cpio: text('a path').optional(),
        timeout: duration().optional(),
      },
      'a boot mapping',
    ),
    object(
      {
        method: z.enum(['reboot', 'kexec']),
        command: shell(),
        expect_kernel_command: shell().optional(),
        expected: shell().optional(),
        timeout: duration().optional(),
      },
      'a boot mapping',
    ),
  ],
  { error: bootError },
);

const workload = object(
  {
    name: name(),
    command: shell(),
    timeout: duration().optional(),
    format: z.enum(WORKLOAD_FORMATS, { error: (issue) => `expected one of ${WORKLOAD_FORMATS.join(', ')}, got ${describeValue(issue.input)}` }).optional(),
    junit_file: text('a path').optional(),
    in_guest: z.boolean({ error: expected('true or false') }).optional(),
    network: z.boolean({ error: expected('true or false') }).optional(),
  },
  'a workload mapping with name, command, timeout and format',
);

const workloads = z.array(workload, { error: expected('a list of workloads') });

const reuseBuildDir = () => z.boolean({ error: expected('true or false') }).optional();

const treeObject = object(
  {
    path: text('a path'), build: commandStage.nullable().optional(), reuse_build_dir: reuseBuildDir(), boot: boot.optional(), workloads: workloads.optional(),
    network: z.boolean({ error: expected('true or false') }).optional(),
  },
  'a path or a mapping with path, build, reuse_build_dir, boot, workloads and network',
);

/** `NAME: PATH` is short for `NAME: {path: PATH}`. */
const tree = z.preprocess((value) => (typeof value === 'string' ? { path: value } : value), treeObject);

export const rawConfigSchema = object(
  {
    coordinator: object({ url: z.url({ protocol: /^wss?$/, error: (issue) => (issue.input === undefined ? 'is required' : `expected a ws:// or wss:// URL, got ${describeValue(issue.input)}`) }), fingerprint: fingerprint() }, 'a mapping with url and fingerprint'),
    state_dir: text('a directory path'),
    trusted_maintainers: z.array(fingerprint(), { error: expected('a list of maintainer fingerprints like DR1:XXXX-…') }).nullable().optional(),
    name: name().optional(),
    hardware_class: z.string({ error: expected('auto or a class like x86_64/AMD/EPYC-7763') })
      .regex(CLASS_PATTERN, { error: (issue) => `expected auto or a class like x86_64/AMD/EPYC-7763, got ${describeValue(issue.input)}` })
      .optional(),
    workspace: object(
      { tmpfs: z.union([z.boolean(), text('a path')], { error: expected('true, false or the path of a memory-backed mount') }).optional() },
      'a mapping with tmpfs',
    ).optional(),
    concurrency: integer(1, MAX_CONCURRENCY).optional(),
    sandbox: z.enum(SANDBOX_MODES, { error: (issue) => `expected one of ${SANDBOX_MODES.join(', ')}, got ${describeValue(issue.input)}` }).optional(),
    public_lab: text('the lab name to publish with your results once an embargo is disclosed').pipe(z.string().max(MAX_PUBLIC_LAB_LENGTH, { error: `expected at most ${MAX_PUBLIC_LAB_LENGTH} characters` })).optional(),
    trees: z.record(name(), tree, { error: expected('a mapping of tree names to paths') }),
    build: commandStage.nullable().optional(),
    reuse_build_dir: reuseBuildDir(),
    boot: boot.optional(),
    workloads: workloads.optional(),
  },
  'a mapping of agent settings',
);

export type RawConfig = z.output<typeof rawConfigSchema>;
export type RawBoot = z.output<typeof boot>;
export type RawWorkload = z.output<typeof workload>;
export type RawCommandStage = z.output<typeof commandStage>;
export type RawTree = z.output<typeof treeObject>;
export type SandboxMode = (typeof SANDBOX_MODES)[number];
