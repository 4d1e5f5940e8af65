#!/bin/sh
# Darkroom lab build recipe for a Linux tree, run by the agent in the job's checkout: a base
# config (KCONFIG_BASE, default tinyconfig) plus the lab's fragment (KCONFIG_FRAGMENT, default
# qemu.config beside this script), built out of tree in $DARKROOM_BUILD_DIR. `make bzImage` also
# builds usr/gen_init_cpio, which packs the guest's initramfs.
#
# The new config is made in the job's scratch directory and copied over .config only when it
# differs: a rewritten .config makes kbuild re-sync its configuration, and a reused build
# directory (reuse_build_dir) would then rebuild more than the series touched.
set -eu
base="${KCONFIG_BASE:-tinyconfig}"
fragment="${KCONFIG_FRAGMENT:-$(dirname "$0")/qemu.config}"
out="$DARKROOM_BUILD_DIR"
new="$DARKROOM_SCRATCH/kernel.config"
[ -r "$fragment" ] || { echo "build-kernel: cannot read the config fragment $fragment: set KCONFIG_FRAGMENT" >&2; exit 2; }

make -s O="$out" KCONFIG_CONFIG="$new" "$base"
KCONFIG_CONFIG="$new" scripts/kconfig/merge_config.sh -m "$new" "$fragment" >/dev/null
make -s O="$out" KCONFIG_CONFIG="$new" olddefconfig
missing=0
for want in $(grep -E '^CONFIG_[A-Za-z0-9_]+=' "$fragment"); do
  grep -qxF "$want" "$new" || { echo "build-kernel: $want from $fragment is not in the final config: a dependency is missing" >&2; missing=1; }
done
[ "$missing" -eq 0 ] || exit 2
cmp -s "$new" "$out/.config" || cp "$new" "$out/.config"
make O="$out" -j"$(nproc)" bzImage
