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
l1_machine=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max,-cx16 -smp 2 -m 6G -no-reboot)
l1_append="console=ttyS0 quiet panic=-1 sysrq_always_enabled nokaslr"
