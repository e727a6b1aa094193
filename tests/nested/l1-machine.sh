# The L1 machine of the nested test bed, shared by run-l1.sh, tools/demo and the
# benchmarks (sourced, not run). See docs/testing.md and ../shared/design/nested-kvm.md.
#
# l1_machine: QEMU TCG with SVM and nested paging (-cpu max), two vCPUs with multi-threaded
#   TCG (one vCPU freezes, single-threaded TCG never finishes an L2 boot), 6 GiB.
# l1_append: L1's kernel command line before the plugvm.* arguments.
#   tsc=reliable: TCG's TSC is one counter for all vCPUs, but the CPU model has no
#   invariant-TSC bit, so an AMD-flavoured L1 marks it "unsynchronized", falls back to the
#   HPET (an emulated MMIO read per clock read) and its KVM runs L2 with an unstable TSC
#   (no master clock, per-vCPU kvmclock updates). L2 guests then lost their timer
#   interrupts for 20 s and more under hotplug churn (RCU "timer wakeup didn't happen").
l1_machine=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 6G -no-reboot)
l1_append="console=ttyS0 quiet panic=-1 tsc=reliable"
