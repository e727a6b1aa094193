# Shared by tools/bench-boot and tools/bench-hotplug (sourced, not run): build the nested
# test bed with plugvm-bench in it, boot L1 in a benchmark mode, and paste the results
# into docs/benchmarks.md.  See docs/benchmarks.md.
#
# Environment: PLUGVM_BENCH_BUILD (default build-bench), PLUGVM_BENCH_TIMEOUT (overall
# seconds, default 3000), PLUGVM_BENCH_SILENCE (watchdog seconds, default 300),
# PLUGVM_BENCH_NODOC=1 (do not touch docs/benchmarks.md), PLUGVM_BENCH_THP (L1's transparent
# huge pages, never, madvise or always; default never), PLUGVM_BENCH_CPUS (the L1 CPUs that
# plugvm-bench and every VMM it starts may use, as taskset -c takes them; default all),
# PLUGVM_BENCH_GUEST (the guest kernel: bookworm, the default guest, or one of
# PLUGVM_E2E_COMPAT_KERNELS: bookworm-generic, backports, sid; when set, the results go to
# their own section, "SECTION --guest KERNEL"), PLUGVM_BENCH_GUEST_RIPS=1 (every BENCH add
# line ends with the guest's RIPs sampled from L1's kvm_exit tracepoint; tools/guest-rips
# names them).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tests/nested/l1-machine.sh
. "$repo/tests/nested/l1-machine.sh"
build=${PLUGVM_BENCH_BUILD:-$repo/build-bench}
say() { echo "$(basename "$0"): $*" >&2; }

bench_build() {
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j"$(nproc)" --target nested-l1
}

# bench_l1 MODE ARGS LOG: boots L1 with plugvm.bench=MODE plugvm.benchargs=ARGS (':'-separated),
# console into LOG.  A watchdog kills an L1 that is silent for PLUGVM_BENCH_SILENCE s; an L1
# that never reached its userspace is booted once more.  Returns 0 iff plugvm-bench finished
# (BENCH-DONE) and L1 reported L1-TESTS-DONE rc=0.
bench_l1() {
    local mode=$1 args=$2 log=$3 attempt qpid silence timeout t0 last_size size last_change
    silence=${PLUGVM_BENCH_SILENCE:-300}
    timeout=${PLUGVM_BENCH_TIMEOUT:-3000}
    t0=$(date +%s)
    for attempt in 1 2; do
        : > "$log"
        say "attempt $attempt: booting L1 (plugvm.bench=$mode plugvm.benchargs=$args), console: $log"
        # Nested paging in L1 (npt=1) and no pinning: as on a real host. (With npt=0 every
        # KVM slot change would zap all of L2's shadow pages, a cost charged to the VMM.)
        "${l1_machine[@]}" -nographic -nodefaults \
            -serial stdio -kernel "$build/l1-kernel/vmlinuz" \
            -initrd "$build/nested/l1-initramfs.img" \
            -append "$l1_append plugvm.kvm_amd=npt=1 plugvm.cpus=${PLUGVM_BENCH_CPUS:-all} plugvm.thp=${PLUGVM_BENCH_THP:-never} ${PLUGVM_BENCH_GUEST:+plugvm.guest=$PLUGVM_BENCH_GUEST} ${PLUGVM_BENCH_GUEST_RIPS:+plugvm.guest_rips=$PLUGVM_BENCH_GUEST_RIPS} plugvm.bench=$mode plugvm.benchargs=$args" \
            < /dev/null > "$log" 2>&1 &
        qpid=$!
        last_size=0 last_change=$(date +%s)
        while kill -0 "$qpid" 2>/dev/null; do
            sleep 2
            size=$(stat -c %s "$log")
            if [ "$size" != "$last_size" ]; then
                last_size=$size last_change=$(date +%s)
                grep -a -E '^\[bench|^BENCH ' "$log" | tail -n 1 | tr -d '\r' >&2 || true
            fi
            if [ $(( $(date +%s) - last_change )) -ge "$silence" ]; then
                say "WATCHDOG: L1 silent for $silence s; killing it"
                kill -KILL "$qpid" 2>/dev/null || true
            elif [ $(( $(date +%s) - t0 )) -ge "$timeout" ]; then
                say "TIMEOUT: over $timeout s; killing L1"
                kill -KILL "$qpid" 2>/dev/null || true
            fi
        done
        wait "$qpid" 2>/dev/null || true
        if grep -aq 'L1-USERSPACE-READY' "$log"; then
            break
        fi
        say "L1 never reached its userspace (TCG hang); retrying once"
    done
    grep -aq "^BENCH-DONE $mode failures=0" "$log" && grep -aq '^L1-TESTS-DONE rc=0' "$log"
}

# bench_doc SECTION LOG TITLE: replaces the block between "<!-- BEGIN SECTION -->" and
# "<!-- END SECTION -->" in docs/benchmarks.md with the run's facts and its BENCH-MD lines.
bench_doc() {
    local section=$1 log=$2 title=$3 doc=$repo/docs/benchmarks.md block guest_dir=$build/guest
    if [ -n "${PLUGVM_BENCH_GUEST:-}" ]; then
        section="$section --guest $PLUGVM_BENCH_GUEST" title="$title, guest kernel $PLUGVM_BENCH_GUEST"
        [ "$PLUGVM_BENCH_GUEST" = bookworm ] || guest_dir=$build/guest-$PLUGVM_BENCH_GUEST
    fi
    block=$(mktemp)
    {
        echo "<!-- BEGIN $section -->"
        echo "### $title"
        echo
        echo "Measured $(date -u +%Y-%m-%d) by \`tools/$section\`, plugvm commit" \
             "\`$(git -C "$repo" rev-parse --short HEAD)\`$(git -C "$repo" diff --quiet HEAD -- src || echo ' (with uncommitted changes)')."
        echo "Host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs," \
             "load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (other engineers' test beds share" \
             "the machine). L1: QEMU $(qemu-system-x86_64 --version | head -n1 | awk '{print $4}') TCG," \
             "2 vCPUs, 6 GiB, kernel $(cat "$build/l1-kernel/kernel-release") (guest: $(cat "$guest_dir/kernel-release")), /dev/kvm = kvm-amd (nested SVM, nested paging), VMMs on L1 CPUs ${PLUGVM_BENCH_CPUS:-all}, THP ${PLUGVM_BENCH_THP:-never};" \
             "L2 VMMs inside L1: plugvm and the same QEMU with -enable-kvm."
        echo "Raw log: \`$(realpath --relative-to="$repo" "$log")\` (not committed); every \`BENCH\` line is one measurement."
        echo
        tr -d '\r' < "$log" | sed -n 's/^BENCH-MD //p; s/^BENCH-MD$//p'
        echo "<!-- END $section -->"
    } > "$block"
    if [ "${PLUGVM_BENCH_NODOC:-0}" = 1 ]; then
        cat "$block"
        rm -f "$block"
        return 0
    fi
    if [ ! -e "$doc" ]; then
        echo "# Benchmarks" > "$doc"
    fi
    if grep -q "^<!-- BEGIN $section -->" "$doc"; then
        awk -v s="$section" -v f="$block" '
            $0 == "<!-- BEGIN " s " -->" { while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == "<!-- END " s " -->" { skip = 0; next }
            !skip { print }' "$doc" > "$doc.tmp"
        mv "$doc.tmp" "$doc"
    else
        { echo; cat "$block"; } >> "$doc"
    fi
    rm -f "$block"
    say "updated $doc ($section)"
}
