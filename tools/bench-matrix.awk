# tools/bench-matrix: one L1 run's BENCH lines (plugvm-bench matrix) into table rows.
# Input: the run's console, \r removed; -v cfg="..." names the configuration.
# Output: "| cfg | operation | plugvm | pc | q35 | ratio | target |" per operation.
function field(name,    i, kv) {
    for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == name)
            return substr($i, length(name) + 2)
    }
    return ""
}
function sort_n(a, n,    i, j, t) {
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
}
# stats(key): "median (min–max)" of the samples under key; sets med.
function stats(key, unit,    n, i, a) {
    n = count[key]
    if (!n) { med = 0; return "–" }
    for (i = 1; i <= n; i++) a[i] = sample[key, i] + 0
    sort_n(a, n)
    med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    if (unit == "s")
        return sprintf("%.2f s (%.2f–%.2f), n=%d", med, a[1], a[n], n)
    return sprintf("%.0f (%.0f–%.0f), n=%d", med, a[1], a[n], n)
}
function keep(op, vmm, value,    key) {
    key = op SUBSEP vmm
    if (!(op in seen_op)) { seen_op[op] = 1; ops[++nops] = op }
    sample[key, ++count[key]] = value
}
/^BENCH boot / { keep("boot " field("mem"), field("vmm"), field("ready_s")) }
/^BENCH add /  { keep("add " field("dimm"), field("vmm"), field("memtotal_ms")) }
/^BENCH del /  { keep("remove " field("dimm"), field("vmm"), field("memtotal_ms")) }
END {
    for (i = 1; i <= nops; i++) {
        op = ops[i]
        unit = op ~ /^boot/ ? "s" : "ms"
        p = stats(op SUBSEP "plugvm", unit); mp = med
        c1 = stats(op SUBSEP "pc", unit); m1 = med
        c2 = stats(op SUBSEP "q35", unit); m2 = med
        best = m1 && m2 ? (m1 < m2 ? m1 : m2) : (m1 ? m1 : m2)
        limit = op ~ /^boot/ ? 0.5 : (op ~ / 8G$/ ? 1.0 : 0.8)
        if (mp && best) {
            ratio = sprintf("%.2f", mp / best)
            verdict = mp / best <= limit ? "met" : "**missed**"
        } else {
            ratio = "–"; verdict = "no data"
        }
        printf "| %s | %s | %s | %s | %s | %s | ≤ %.1f %s |\n", cfg, op, p, c1, c2, ratio, limit, verdict
        if (count[op SUBSEP "plugvm-warm"])
            printf "| %s | %s, warm-up forced on | %s | | | | |\n", cfg, op, stats(op SUBSEP "plugvm-warm", unit)
        if (count[op SUBSEP "plugvm-inline"])
            printf "| %s | %s, warm-up inline on one CPU | %s | | | | |\n", cfg, op, stats(op SUBSEP "plugvm-inline", unit)
        if (count[op SUBSEP "plugvm-nowarm"])
            printf "| %s | %s, warm-up off | %s | | | | |\n", cfg, op, stats(op SUBSEP "plugvm-nowarm", unit)
    }
}
