// The file list the kernel's usr/gen_init_cpio turns into a cpio archive, device nodes included,
// so an initramfs with /dev/console is built without root.
import { InitramfsError } from './errors.js';
import { GUEST_NAME, GUEST_WORKLOAD_DIR } from './init-script.js';

export interface CpioListInput {
  /** Host path of a statically linked busybox. */
  busybox: string;
  /** Host path of the init script. */
  init: string;
  /** Guest workload name → host path of its script. */
  workloads: ReadonlyArray<{ name: string; script: string }>;
}

const DIRS: ReadonlyArray<[string, string]> = [
  ['/dev', '0755'], ['/bin', '0755'], ['/sbin', '0755'], ['/usr', '0755'], ['/usr/bin', '0755'], ['/usr/sbin', '0755'],
  ['/proc', '0555'], ['/sys', '0555'], ['/tmp', '1777'], ['/root', '0700'], ['/darkroom', '0755'], [GUEST_WORKLOAD_DIR, '0755'],
];

/** gen_init_cpio splits its list on whitespace, so a host path holding any cannot be named in it. */
function hostPath(path: string, what: string): string {
  if (/\s/.test(path) || path === '') throw new InitramfsError('PATH_UNUSABLE', `Path of ${what} cannot go into an initramfs list: '${path}' is empty or holds whitespace; move it`);
  return path;
}

export function cpioList(input: CpioListInput): string {
  const lines = DIRS.map(([dir, mode]) => `dir ${dir} ${mode} 0 0`);
  lines.push('nod /dev/console 0600 0 0 c 5 1');
  lines.push(`file /bin/busybox ${hostPath(input.busybox, 'busybox')} 0755 0 0`);
  lines.push('slink /bin/sh busybox 0777 0 0');
  lines.push(`file /init ${hostPath(input.init, 'the init script')} 0755 0 0`);
  for (const workload of input.workloads) {
    if (!GUEST_NAME.test(workload.name)) throw new InitramfsError('NAME_UNUSABLE', `Workload name '${workload.name}' cannot be used in a guest: use letters, digits, '.', '_' and '-'`);
    lines.push(`file ${GUEST_WORKLOAD_DIR}/${workload.name} ${hostPath(workload.script, `workload ${workload.name}`)} 0755 0 0`);
  }
  return `${lines.join('\n')}\n`;
}
