#!/usr/bin/env bash
# `npm run test:kernel`: the real-kernel tests. Prepares the tester's tree (packages, the unpacked
# linux-source as a git repository), builds its base once for the QEMU boot test in
# test/unit/agent/guest.test.ts, then runs that test and the end-to-end one in test-kernel/.
# Prints how long each stage took. Expects `npm run build` to have run (the npm script does it).
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { echo "test:kernel: $1 took $2 s"; }

started=$SECONDS
prepared="$(bash scripts/prepare-kernel-tree.sh)"
tree="$(sed -n 1p <<<"$prepared")"
cache="$(dirname "$tree")"
stage "preparing the tree ($tree)" $((SECONDS - started))

# The base, built with the example profile's own recipe; incremental when the cache holds it.
started=$SECONDS
build="$cache/build-base"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
if ! (cd "$tree" && DARKROOM_BUILD_DIR="$build" DARKROOM_SCRATCH="$scratch" sh "$OLDPWD/examples/linux/build-kernel.sh") > "$cache/build-base.log" 2>&1; then
  tail -n 40 "$cache/build-base.log" >&2
  echo "test:kernel: the base of $tree did not build; the whole log is $cache/build-base.log" >&2
  exit 1
fi
stage "building the base for the QEMU boot test ($build)" $((SECONDS - started))

export DARKROOM_KERNEL_TREE="$tree" DARKROOM_KERNEL_CACHE="$cache"
export DARKROOM_TEST_KERNEL="$build/arch/x86/boot/bzImage" DARKROOM_TEST_GEN_INIT_CPIO="$build/usr/gen_init_cpio"
started=$SECONDS
node --test --test-concurrency=1 dist/test/unit/agent/guest.test.js dist/test-kernel/
stage "the tests" $((SECONDS - started))
