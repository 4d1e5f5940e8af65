// The guest's /init: mount what workloads need, print the markers, run each workload with its
// output on the console, then restart (QEMU's -no-reboot turns that into an exit).
import { InitramfsError } from './errors.js';
import { bootedMarker, doneMarker, endMarkerPrefix, startMarker, UPTIME_SUFFIX } from './markers.js';

/** Where the workload scripts sit inside the guest. */
export const GUEST_WORKLOAD_DIR = '/darkroom/workloads';

/** Workload names become file names and marker fields: letters, digits, `.`, `_`, `-` only. */
export const GUEST_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/**
 * `reboot -f`, not `poweroff -f`: without ACPI (tinyconfig) a power-off hangs QEMU, while a
 * restart with -no-reboot ends it. devtmpfs may be missing from a small config; the initramfs
 * carries its own /dev/console, so the mount may fail quietly.
 */
export function initScript(workloads: readonly string[], nonce: string): string {
  for (const name of workloads) if (!GUEST_NAME.test(name)) throw new InitramfsError('NAME_UNUSABLE', `Workload name '${name}' cannot be used in a guest: use letters, digits, '.', '_' and '-'`);
  const runs = workloads.flatMap((name) => [
    `echo "${startMarker(nonce, name)}${UPTIME_SUFFIX}"`,
    `/bin/sh ${GUEST_WORKLOAD_DIR}/${name} </dev/null 2>&1`,
    `echo "${endMarkerPrefix(nonce, name)}$?${UPTIME_SUFFIX}"`,
  ]);
  return [
    '#!/bin/sh',
    '# Darkroom guest init: runs the declared workloads between markers, then restarts.',
    '/bin/busybox --install -s',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev 2>/dev/null',
    'mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null',
    'mount -t tmpfs tmpfs /tmp',
    'cd /tmp',
    `echo '${bootedMarker(nonce)}'`,
    ...runs,
    `echo '${doneMarker(nonce)}'`,
    'sync',
    'reboot -f',
    '',
  ].join('\n');
}
