#!/usr/bin/env bash
# Prepares a tester's Linux tree on a Debian machine: installs the packages a kernel build and a
# QEMU boot need, unpacks Debian's linux-source tarball and makes it a git repository with one
# commit (fixed author and date, so the same tarball gives the same commit id everywhere).
# Idempotent: a tree already made from the installed package is left alone, in well under a second.
#
#   DARKROOM_KERNEL_CACHE   where the tree goes (default /var/cache/darkroom when writable,
#                           else ${XDG_CACHE_HOME:-~/.cache}/darkroom); the tree is $CACHE/linux
#   DARKROOM_LINUX_SOURCE   the Debian package of the source (default linux-source-6.1)
#
# Prints the tree's path and its commit id, one per line, on stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
package="${DARKROOM_LINUX_SOURCE:-linux-source-6.1}"

default_cache() {
  if mkdir -p /var/cache/darkroom 2>/dev/null && [ -w /var/cache/darkroom ]; then echo /var/cache/darkroom
  else echo "${XDG_CACHE_HOME:-$HOME/.cache}/darkroom"; fi
}
cache="${DARKROOM_KERNEL_CACHE:-$(default_cache)}"
tree="$cache/linux"
stamp="$cache/linux.prepared"
say() { echo "prepare-kernel-tree: $*" >&2; }

bash "$here/install-system-deps.sh"
dpkg -s "$package" >/dev/null 2>&1 || {
  if [ "$(id -u)" -ne 0 ]; then say "need root to install $package"; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package"
}
version="$(dpkg-query -W -f '${Version}' "$package")"
tarball="$(dpkg -L "$package" | grep -E '^/usr/src/linux-source-[^/]*\.tar\.(xz|bz2|gz)$' | head -n 1)"
[ -n "$tarball" ] && [ -r "$tarball" ] || { say "package $package $version holds no readable /usr/src/linux-source-*.tar.*: reinstall it"; exit 1; }
want="$package $version $(stat -c '%s %Y' "$tarball")"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && head="$(git -C "$tree" rev-parse --verify -q HEAD)"; then
  say "$tree is already prepared from $package $version"
  printf '%s\n%s\n' "$tree" "$head"
  exit 0
fi

say "unpacking $tarball ($package $version) into $tree"
rm -rf "$tree" "$stamp"
mkdir -p "$tree"
tar -xf "$tarball" -C "$tree" --strip-components=1
# Debian's tarball ends its top-level .gitignore with a block that ignores everything at the top
# level ("Debian packaging"); left in place, `git add` commits nothing (and later commits in the
# tree miss every new file). The tarball is pristine source, so all of it is added with --force:
# the kernel's own rules ignore its dotfiles (.gitignore, .mailmap) otherwise.
awk '/^# Debian packaging:/ { exit } { lines[NR] = $0; n = NR }
  END { while (n > 0 && lines[n] ~ /^#?$/) n--; for (i = 1; i <= n; i++) print lines[i] }' "$tree/.gitignore" > "$tree/.gitignore.new"
mv "$tree/.gitignore.new" "$tree/.gitignore"
release="$(make -s -C "$tree" kernelversion)"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME='Darkroom Prepare' GIT_AUTHOR_EMAIL='prepare@darkroom.invalid' GIT_AUTHOR_DATE='@1735689600 +0000'
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL" GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"
git -C "$tree" init --quiet --initial-branch=main --template=
git -C "$tree" add --all --force
git -C "$tree" commit --quiet --no-verify --no-gpg-sign --message "Linux $release from Debian $package $version"
git -C "$tree" tag "v$release"
files="$(git -C "$tree" ls-files | wc -l)"
[ "$files" -gt 1000 ] || { say "the commit holds only $files files: check $tree/.gitignore"; exit 1; }
echo "$want" > "$stamp"
say "prepared Linux $release ($files files) at $tree"
printf '%s\n%s\n' "$tree" "$(git -C "$tree" rev-parse HEAD)"
