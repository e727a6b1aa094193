#!/usr/bin/env bash
# Build the L1 initramfs of the nested KVM test bed (docs/testing.md,
# shared/design/nested-kvm.md).
#
#   build-l1.sh --guest DIR --l1-kernel DIR --e2e PATH [--plugvm PATH] [--out FILE]
#
#   --guest DIR      output of guest/build.sh: vmlinuz, initramfs.img (the L2 guest)
#   --l1-kernel DIR  output of l1-kernel.sh: kernel-release and kernel/ (L1's kvm modules)
#   --e2e PATH     the e2e-runner binary
#   --plugvm PATH  plugvm; omitted only for a QEMU-only bed
#   --out FILE     default: DIR/../nested/l1-initramfs.img
#   --extra PATH   another program for /usr/bin (plugctl, benchmarks); repeatable
#   --compat-guest NAME=DIR  another guest (guest/build.sh --kernel NAME DIR), copied to
#                  /guest-NAME for the e2e tests named NAME.TEST; repeatable
#
# L1 boots L1-KERNEL-DIR/vmlinuz (run-l1.sh --kernel).  Skips the work when the output is
# newer than every input.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../guest/initramfs-lib.sh
. "$repo/guest/initramfs-lib.sh"

guest="" l1k="" e2e="" plugvm="" out="" extras=() compat=()
while [ $# -gt 0 ]; do
    case "$1" in
        --guest) guest=$2; shift 2 ;;
        --l1-kernel) l1k=$2; shift 2 ;;
        --e2e) e2e=$2; shift 2 ;;
        --plugvm) plugvm=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --extra) extras+=("$2"); shift 2 ;;
        --compat-guest) compat+=("$2"); shift 2 ;;
        *) echo "build-l1.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$guest" ] && [ -n "$l1k" ] && [ -n "$e2e" ] ||
    { echo "usage: build-l1.sh --guest DIR --l1-kernel DIR --e2e PATH [--plugvm PATH] [--out FILE]" >&2; exit 2; }
guest=$(cd "$guest" && pwd)
out=${out:-$guest/../nested/l1-initramfs.img}
mkdir -p "$(dirname "$out")"
log() { echo "build-l1.sh: $*" >&2; }

for f in "$guest/vmlinuz" "$guest/initramfs.img" "$l1k/kernel-release" "$e2e" ${plugvm:+"$plugvm"}; do
    [ -e "$f" ] || { log "missing $f"; exit 1; }
done
release=$(cat "$l1k/kernel-release")
moddir=$(ird_kernel_modules_dir "$l1k/kernel")/kernel || exit 1
qemu=$(command -v qemu-system-x86_64) || { log "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"; exit 1; }
qemu_fw=(/usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin)
modules=(virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko)

inputs=("$here/build-l1.sh" "$here/l1-init" "$repo/guest/initramfs-lib.sh" "$guest/vmlinuz" "$l1k/kernel-release"
        "$guest/initramfs.img" "$e2e" "$qemu" ${plugvm:+"$plugvm"} ${extras[@]+"${extras[@]}"})
for c in ${compat[@]+"${compat[@]}"}; do
    dir=${c#*=}
    [ -e "$dir/vmlinuz" ] && [ -e "$dir/initramfs.img" ] || { log "missing guest ${c%%=*} in $dir"; exit 1; }
    inputs+=("$dir/vmlinuz" "$dir/initramfs.img")
done
# The list of guests is an input too: a run with fewer must not reuse an image with more.
compat_list=$(dirname "$out")/l1-compat-guests
if [ "$(cat "$compat_list" 2>/dev/null)" != "${compat[*]:-}" ]; then
    echo "${compat[*]:-}" > "$compat_list"
fi
inputs+=("$compat_list")
if ! ird_stale "$out" "${inputs[@]}"; then
    log "up to date: $out"
    exit 0
fi

log "building $out"
root=$out.root
rm -rf "$root"
mkdir -p "$root"/{dev,proc,sys,tmp,run,root,etc,guest,lib/modules/l1,results}
ird_busybox "$root"

for m in "${modules[@]}"; do
    src=$(ird_module_file "$moddir" "$m") || { log "module $m not found under $moddir"; exit 1; }
    ird_install_module "$src" "$root/lib/modules/l1"
done

ird_copy_bin "$root" "$e2e" /usr/bin/e2e-runner
if [ -n "$plugvm" ]; then
    ird_copy_bin "$root" "$plugvm" /usr/bin/plugvm
fi
ird_copy_bin "$root" "$qemu" /usr/bin/qemu-system-x86_64
for x in ${extras[@]+"${extras[@]}"}; do
    ird_copy_bin "$root" "$x" "/usr/bin/$(basename "$x")"
done
for f in "${qemu_fw[@]}"; do
    [ -e "$f" ] || { log "missing QEMU firmware $f"; exit 1; }
    mkdir -p "$root/$(dirname "$f")"
    cp -L "$f" "$root/$f"
done

cp "$guest/vmlinuz" "$guest/initramfs.img" "$root/guest/"
for c in ${compat[@]+"${compat[@]}"}; do
    mkdir -p "$root/guest-${c%%=*}"
    cp "${c#*=}/vmlinuz" "${c#*=}/initramfs.img" "$root/guest-${c%%=*}/"
done
install -m 0755 "$here/l1-init" "$root/init"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
{
    echo "kernel $release"
    echo "guest $(cat "$guest/kernel-release")"
    for c in ${compat[@]+"${compat[@]}"}; do
        echo "guest-${c%%=*} $(cat "${c#*=}/kernel-release")"
    done
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "plugvm ${plugvm:-none}"
    echo "qemu $("$qemu" --version | head -n 1)"
} > "$root/etc/l1-build-info"

ird_pack "$root" "$out"
rm -rf "$root"
log "done: $out ($(du -h "$out" | cut -f1))"
