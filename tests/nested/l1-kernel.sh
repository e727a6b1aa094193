#!/usr/bin/env bash
# The nested test bed's L1 kernel (docs/testing.md): Debian's cloud kernel from
# bookworm-backports (Linux 6.12), not the guest's (Debian 12's 6.1).
#
#   l1-kernel.sh OUTDIR GUEST_DIR
#
# Outputs (OUTDIR): vmlinuz, kernel-release, kernel/ (the unpacked package: L1's kvm modules).
#
# Why a newer L1 than L2: L1 plays the host, and a host on Linux 6.12 or later lets a VMM
# turn off KVM_X86_QUIRK_SLOT_ZAP_ALL, so that deleting one DIMM's memory slot drops only
# that slot's nested mappings instead of all of the guest's (src/kvm.c). plugvm does; on
# L1's old 6.1 every VMM's hot-remove paid for the zap-all and every add after a removal
# re-faulted the whole guest. Debian 12 hosts get 6.12 from the same backports suite, and
# Debian 13's own kernel is 6.12. The guest (L2) stays Debian 12's kernel.
#
# The package comes through apt with a private source list and state directory under the
# cache, so the host's apt configuration is left alone; it is downloaded and unpacked,
# never installed. PLUGVM_L1_KERNEL=guest uses GUEST_DIR's kernel instead (the bed as it
# was before 2026-12-02, for comparisons).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ $# = 2 ] || { echo "usage: l1-kernel.sh OUTDIR GUEST_DIR" >&2; exit 2; }
out=$1
guest=$(cd "$2" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=${PLUGVM_CACHE_DIR:-$repo/build/cache}
mkdir -p "$cache"
# shellcheck source=../../guest/initramfs-lib.sh
. "$repo/guest/initramfs-lib.sh"
log() { echo "l1-kernel.sh: $*" >&2; }

publish() { # publish VMLINUZ RELEASE KERNEL_TREE
    if ird_stale "$out/vmlinuz" "$1"; then
        cp "$1" "$out/vmlinuz.tmp" && mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
    fi
    # Rewritten only when it changes: build-l1.sh rebuilds L1's image when it is newer.
    if [ "$(cat "$out/kernel-release" 2>/dev/null)" != "$2" ] ||
       [ "$(readlink "$out/kernel" 2>/dev/null)" != "$3" ]; then
        ln -sfn "$3" "$out/kernel"
        echo "$2" > "$out/kernel-release.tmp" && mv -f "$out/kernel-release.tmp" "$out/kernel-release"
    fi
}

if [ "${PLUGVM_L1_KERNEL:-backports}" = guest ]; then
    publish "$guest/vmlinuz" "$(cat "$guest/kernel-release")" "$guest/kernel"
    log "ready: $out/vmlinuz (the guest's kernel, PLUGVM_L1_KERNEL=guest)"
    exit 0
fi
[ "${PLUGVM_L1_KERNEL:-backports}" = backports ] ||
    { log "PLUGVM_L1_KERNEL must be backports or guest"; exit 2; }

ird_suite_apt bookworm-backports "$cache"
mapfile -t debs < <(ird_kernel_debs "$cache" "$out/kernel-package" linux-image-cloud-amd64 \
                    "${IRD_APT_OPTS[@]}")
[ ${#debs[@]} -gt 0 ] || exit 1
tree=$out/kernel-tree
ird_unpack_debs "$tree" "${debs[@]}"
release=$(basename "$(ird_kernel_modules_dir "$tree")") || exit 1
vmlinuz=$(ird_kernel_vmlinuz "$tree" "$release") || exit 1
publish "$vmlinuz" "$release" "$tree"
log "ready: $out/vmlinuz ($release)"
