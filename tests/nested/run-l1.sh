#!/usr/bin/env bash
# Boot the nested test bed's L1 guest under TCG, run e2e tests inside it, and split the
# console into one result per test.
#
#   run-l1.sh --kernel VMLINUZ --initrd L1.img --out DIR [--tests a,b] [--expect a,b]
#             [--vmm qemu|plugvm] [--verbose] [--timeout SECS] [--silence SECS]
#
#   --tests     tests to run inside L1 (default: all in e2e-runner's table)
#   --expect    tests that must report (default: --tests); a missing one is a FAIL
#   --timeout   overall limit for the whole run, retry included (default 3300 s)
#   --silence   watchdog: an L1 that prints nothing this long is killed (default 90 s)
#   --shell     interactive debugging: L1 on this terminal, a shell after the tests, no
#               watchdog, no results (leave QEMU with Ctrl-A x)
#
# Writes DIR/l1-console.log (the last attempt; earlier ones as l1-console.attemptN.log),
# DIR/<test>.log and DIR/<test>.result ("PASS 12.34" or "FAIL ..."), DIR/summary.
# Retry rule: an L1 that never printed L1-USERSPACE-READY (TCG hang before userspace) is
# booted once more; a failure after that marker is never retried.
# Exit: 0 all tests passed, 1 some test failed, 2 the bed itself failed (L1 did not boot,
# died, was killed by the watchdog or the overall timeout).
set -euo pipefail

kernel="" initrd="" out="" tests="" expect="" vmm="" verbose=0 timeout=3300 silence=90 shell=0
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) kernel=$2; shift 2 ;;
        --initrd) initrd=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --tests) tests=$2; shift 2 ;;
        --expect) expect=$2; shift 2 ;;
        --vmm) vmm=$2; shift 2 ;;
        --verbose) verbose=1; shift ;;
        --shell) shell=1; shift ;;
        --timeout) timeout=$2; shift 2 ;;
        --silence) silence=$2; shift 2 ;;
        *) echo "run-l1.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$out" ] || {
    echo "usage: run-l1.sh --kernel VMLINUZ --initrd L1.img --out DIR [--tests a,b] ..." >&2; exit 2; }
expect=${expect:-$tests}
mkdir -p "$out"
say() { echo "run-l1.sh: $*"; }

# shellcheck source=l1-machine.sh
. "$(dirname "${BASH_SOURCE[0]}")/l1-machine.sh"
append=$l1_append
[ -n "$tests" ] && append+=" plugvm.tests=$tests"
[ -n "$vmm" ] && append+=" plugvm.vmm=$vmm"
[ "$verbose" = 1 ] && append+=" plugvm.verbose=1"
[ -n "${E2E_ENDURANCE_CYCLES:-}" ] && append+=" plugvm.endurance_cycles=$E2E_ENDURANCE_CYCLES"
[ -n "${E2E_INTEGRITY_CYCLES:-}" ] && append+=" plugvm.integrity_cycles=$E2E_INTEGRITY_CYCLES"
[ -n "${E2E_VMEM_CYCLES:-}" ] && append+=" plugvm.vmem_cycles=$E2E_VMEM_CYCLES"
[ -n "${E2E_STRESS_VMM:-}" ] && append+=" plugvm.stress_vmm=$E2E_STRESS_VMM"
[ -n "${E2E_STRESS_SMP:-}" ] && append+=" plugvm.stress_smp=$E2E_STRESS_SMP"
[ -n "${E2E_L1_KVM_AMD:-}" ] && append+=" plugvm.kvm_amd=$E2E_L1_KVM_AMD"
[ -n "${E2E_L1_CPUS:-}" ] && append+=" plugvm.cpus=$E2E_L1_CPUS"
[ -n "${E2E_PLUGVM_SANDBOX:-}" ] && append+=" plugvm.sandbox=$E2E_PLUGVM_SANDBOX"
if [ "$shell" = 1 ]; then
    exec "${l1_machine[@]}" -nographic \
        -kernel "$kernel" -initrd "$initrd" -append "$append plugvm.shell=1"
fi

now() { date +%s.%N; }
# L1's monitor socket, for the post-mortem; in /tmp because a socket path has a length limit.
mondir=$(mktemp -d /tmp/plugvm-l1.XXXXXX)
monitor=$mondir/monitor.sock
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t_start=$(now)
deadline=$(( $(date +%s) + timeout ))
qpid="" tpid=""
cleanup() {
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null || true
    [ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null || true
    rm -rf "$mondir"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 2' INT TERM

# What a frozen L1 was doing, printed before it is killed: the host threads of its QEMU
# (state and CPU time: spinning or blocked), L1's own kernel backtraces through magic
# SysRq keys on its keyboard (L1 boots with sysrq_always_enabled), its vCPUs' registers,
# and the host-side stacks of QEMU's threads (gdb). Each step has a timeout: a QEMU whose
# vCPUs are deadlocked cannot answer everything.
hmp() { printf '%s\n' "$1" | timeout 15 socat -t 8 - "UNIX-CONNECT:$monitor" 2>&1 |
        tr -d '\r' | grep -v -e '^QEMU .* monitor' -e '^(qemu)' || true; }
thread_cpu() {
    local t
    for t in /proc/"$1"/task/*; do
        printf '%s %s %s\n' "${t##*/}" "$(sed 's/.*) //' "$t/stat" | awk '{print $1, $12 + $13}')" \
            "$(tr ' ' _ < "$t/comm")"
    done 2>/dev/null
}
l1_post_mortem() {
    local pid=$1 a b
    echo
    say "---- post-mortem of the silent L1 (QEMU pid $pid) ----"
    a=$(thread_cpu "$pid"); sleep 2; b=$(thread_cpu "$pid")
    say "host threads of L1's QEMU: tid state cpu-ticks-in-2s name"
    join <(sort <<< "$a") <(sort <<< "$b") | awk '{printf "  %s %s %d %s\n", $1, $5, $6 - $3, $7}'
    if command -v socat > /dev/null; then
        say "L1 status: $(hmp 'info status' | head -n 1)"
        say "SysRq 9 (all messages), l (CPU backtraces), w (blocked tasks) to L1; its answer follows"
        hmp 'sendkey alt-sysrq-9' > /dev/null; sleep 1
        hmp 'sendkey alt-sysrq-l' > /dev/null; sleep 6
        hmp 'sendkey alt-sysrq-w' > /dev/null; sleep 6
        say "L1 vCPU registers:"
        hmp 'info registers -a' | grep -E '^(CPU#|RAX|RSI|RIP|CR0)' | sed 's/^/  /'
    else
        say "(socat missing: no monitor queries)"
    fi
    if command -v gdb > /dev/null; then
        say "host stacks of L1's QEMU threads (gdb):"
        timeout 60 gdb -p "$pid" -batch -ex 'thread apply all bt 15' 2>&1 |
            grep -E '^(Thread|#)' | sed 's/^/  /' | head -n 200 || true
    else
        say "(gdb missing: no host stacks)"
    fi
    say "---- end of post-mortem ----"
}

# One L1 boot.  Sets: reason (finished|watchdog|timeout|exit), t_ready (s to marker or "")
boot_l1() {
    local log=$1 t0 size last_size last_change rc
    : > "$log"
    t0=$(now)
    rm -f "$monitor"
    "${l1_machine[@]}" -nographic -nodefaults \
        -monitor "unix:$monitor,server=on,wait=off" -serial stdio -kernel "$kernel" -initrd "$initrd" -append "$append" \
        < /dev/null >> "$log" 2>&1 &
    qpid=$!
    tail -n +1 -f --pid="$qpid" "$log" &
    tpid=$!
    last_size=0 last_change=$(date +%s) t_ready="" reason=""
    while kill -0 "$qpid" 2>/dev/null; do
        sleep 1
        size=$(stat -c %s "$log")
        if [ "$size" != "$last_size" ]; then
            last_size=$size last_change=$(date +%s)
        fi
        if [ -z "$t_ready" ] && grep -q 'L1-USERSPACE-READY' "$log"; then
            t_ready=$(elapsed "$t0")
        fi
        if [ $(( $(date +%s) - last_change )) -ge "$silence" ]; then
            reason=watchdog
            break
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            reason=timeout
            break
        fi
    done
    if [ "$reason" = watchdog ]; then
        echo; say "WATCHDOG: L1 printed nothing for ${silence} s"
        l1_post_mortem "$qpid" >> "$log" 2>&1
    fi
    if [ -n "$reason" ]; then
        kill -KILL "$qpid" 2>/dev/null || true
    fi
    rc=0
    wait "$qpid" 2>/dev/null || rc=$?
    qpid=""
    wait "$tpid" 2>/dev/null || true
    tpid=""
    if [ -z "$t_ready" ] && grep -q 'L1-USERSPACE-READY' "$log"; then
        t_ready=$(elapsed "$t0")
    fi
    if [ -z "$reason" ]; then
        if grep -q '^L1-TESTS-DONE' "$log"; then reason=finished; else reason="exit (qemu status $rc)"; fi
    fi
    case "$reason" in
        watchdog) say "WATCHDOG: killed the silent L1" ;;
        timeout) echo; say "TIMEOUT: the run exceeded ${timeout} s; killed L1" ;;
    esac
}

attempt=1
while :; do
    log=$out/l1-console.attempt$attempt.log
    say "attempt $attempt: booting L1 ($append)"
    boot_l1 "$log"
    if [ -n "$t_ready" ] || [ "$attempt" -ge 2 ] || [ "$reason" = timeout ]; then
        break
    fi
    say "L1 never reached userspace ($reason); retrying once (TCG hang before userspace)"
    attempt=$((attempt + 1))
done
cp "$log" "$out/l1-console.log"
total=$(elapsed "$t_start")

# ---- split the console into per-test logs and results -------------------------------------
tr -d '\r' < "$out/l1-console.log" > "$out/l1-console.clean"
mapfile -t reported < <(sed -n 's/^E2E-BEGIN \([A-Za-z0-9_]*\).*/\1/p' "$out/l1-console.clean")
names=()
if [ -n "$expect" ]; then IFS=, read -r -a names <<< "$expect"; fi
for n in "${reported[@]}"; do
    case " ${names[*]} " in *" $n "*) ;; *) names+=("$n") ;; esac
done

bed_ok=1
if [ -z "$t_ready" ]; then
    bed_why="L1 never reached its userspace (after $attempt attempts): $reason"
    bed_ok=0
elif [ "$reason" != finished ]; then
    bed_why="L1 ended before its tests finished: $reason"
    bed_ok=0
fi

passed=0 failed=0
for n in "${names[@]}"; do
    awk -v n="$n" '$0 == "E2E-BEGIN " n {on = 1} on {print} on && $1 == "E2E-RESULT" && $2 == n {exit}' \
        "$out/l1-console.clean" > "$out/$n.log"
    res=$(awk -v n="$n" '$1 == "E2E-RESULT" && $2 == n {print $3, $4; exit}' "$out/l1-console.clean")
    if [ -z "$res" ]; then
        res="FAIL no result: ${bed_why:-test did not report}"
        {
            echo "run-l1.sh: $n did not report a result: ${bed_why:-e2e-runner did not run it}"
            echo "---- last 40 lines of the L1 console ----"
            tail -n 40 "$out/l1-console.clean"
        } >> "$out/$n.log"
    fi
    echo "$res" > "$out/$n.result"
    case "$res" in PASS*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
done

{
    echo "attempts $attempt"
    echo "end $reason"
    echo "l1_userspace_s ${t_ready:-never}"
    awk '$1 == "E2E-BEGIN" {t = $2} /guest userspace ready after/ {print "l2_userspace_s", t, $(NF-1)}' \
        "$out/l1-console.clean"
    echo "total_s $total"
    echo "passed $passed"
    echo "failed $failed"
} > "$out/summary"
say "L1 userspace after ${t_ready:-never} s, attempts $attempt, end: $reason, total ${total} s"
say "e2e: $passed passed, $failed failed"
if [ "$bed_ok" = 0 ]; then
    say "BED FAILURE: $bed_why"
    exit 2
fi
[ "$failed" = 0 ]
