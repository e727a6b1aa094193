# The L1 machine of the nested test bed, shared by run-l1.sh, tools/demo and the
# benchmarks (sourced, not run). See docs/testing.md and ../shared/design/nested-kvm.md.
#
# l1_machine: QEMU TCG with SVM and nested paging (-cpu max), two vCPUs with multi-threaded
#   TCG (one vCPU freezes, single-threaded TCG never finishes an L2 boot), 6 GiB.
# l1_append: L1's kernel command line before the plugvm.* arguments. (tsc=reliable, which
#   lets L1 use the TSC instead of the HPET, was tried: L2 guests under hotplug churn then
#   failed after 20-30 cycles instead of 160, under plugvm and QEMU alike.)
# -cx16 hides CMPXCHG16B: under this QEMU's multi-threaded TCG, L1's 6.12 kernel (SLUB's
#   per-CPU freelists use it) died in 3 of 5 boots with a double fault or a NULL pointer in
#   the allocator, before reaching userspace; without it 8 of 8 booted (docs/testing.md).
# -xsave,-avx,-avx2,-pku: no XSAVE-managed state at all. This QEMU's TCG offers XSAVE
#   with components (PKRU, AVX) whose emulation is imperfect; guests newer than Linux 6.1
#   warned in fpu__init_system_xstate and then oopsed or hung, under QEMU-KVM and plugvm
#   alike. Without XSAVE the guests fall back to FXSAVE; AVX must go too, or a guest still
#   runs AVX code it cannot save (docs/testing.md, "The L1 CPU").
# PLUGVM_L1_CPU replaces the -cpu value, to compare against the bed as it was.
l1_cpu=${PLUGVM_L1_CPU:-max,-cx16,-xsave,-avx,-avx2,-pku}
l1_machine=(qemu-system-x86_64 -accel tcg,thread=multi -cpu "$l1_cpu" -smp 2 -m 6G -no-reboot)
l1_append="console=ttyS0 quiet panic=-1 sysrq_always_enabled nokaslr"
