#!/usr/bin/env bash
# The ctest fixture e2e.nested-bed: build the L1 image (and with it the guest, plugvm and
# e2e-runner), boot L1 once with the e2e tests, and leave one result per test in
# BUILD/nested/results for the e2e.<name> tests (show-result.sh).
#
#   bed.sh BUILD_DIR EXPECTED_TESTS(comma-separated) [RESULTS_NAME]
#
# With RESULTS_NAME (the compatibility run: KERNEL.TEST names, docs/testing.md) the results
# go to BUILD/nested/RESULTS_NAME and exactly the expected tests run, or those of
# PLUGVM_E2E_COMPAT_TESTS=a.b,c.d; PLUGVM_E2E_TESTS applies to the main run only.
#
# Environment: PLUGVM_E2E_TESTS=a,b  run only these (default: all)
#              E2E_VMM=plugvm|qemu   override the VMM the tests drive
#              E2E_VERBOSE=1         copy the L2 consoles into the test logs
#              PLUGVM_NESTED_SILENCE=S, PLUGVM_NESTED_TIMEOUT=S  run-l1.sh's watchdog and
#                                    overall limit (defaults 90 and 3300 s)
# Exit 0 when every test has a result (pass or fail); non-zero when the bed could not be
# built, L1 never booted, or L1 died before its tests finished.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$1
expected=$2
results=$build/nested/${3:-results}

rm -rf "$results"
mkdir -p "$results"
echo "bed.sh: building the L1 image (cmake --build $build --target nested-l1)"
cmake --build "$build" --target nested-l1

if [ -n "${3:-}" ]; then
    tests=${PLUGVM_E2E_COMPAT_TESTS:-$expected}
else
    tests=${PLUGVM_E2E_TESTS:-}
fi
args=(--kernel "$build/l1-kernel/vmlinuz" --initrd "$build/nested/l1-initramfs.img" --out "$results"
      --expect "${tests:-$expected}")
[ -n "$tests" ] && args+=(--tests "$tests")
[ -n "${E2E_VMM:-}" ] && args+=(--vmm "$E2E_VMM")
[ "${E2E_VERBOSE:-0}" != 0 ] && args+=(--verbose)
[ -n "${PLUGVM_NESTED_SILENCE:-}" ] && args+=(--silence "$PLUGVM_NESTED_SILENCE")
[ -n "${PLUGVM_NESTED_TIMEOUT:-}" ] && args+=(--timeout "$PLUGVM_NESTED_TIMEOUT")

rc=0
"$here/run-l1.sh" "${args[@]}" || rc=$?
# 1 = some e2e test failed: the bed itself worked, the e2e.<name> tests report it.
[ "$rc" = 0 ] || [ "$rc" = 1 ]
