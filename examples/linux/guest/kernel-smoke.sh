#!/bin/sh
# In-guest workload: runs inside the booted kernel under test (its output is read from the serial
# console) and reports in KTAP whether the basics a workload relies on came up.
echo 'KTAP version 1'
echo '1..3'
check() {
  number=$1 name=$2
  shift 2
  if "$@" >/dev/null 2>&1; then echo "ok $number $name"; else echo "not ok $number $name"; fi
}
check 1 proc_version_readable test -r /proc/version
check 2 tmpfs_writable sh -c 'echo darkroom > /tmp/smoke && test "$(cat /tmp/smoke)" = darkroom'
check 3 no_oops_in_kernel_log sh -c '! dmesg | grep -q -e "Oops" -e "BUG:" -e "WARNING:"'
