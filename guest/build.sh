#!/usr/bin/env bash
# Build plugvm's default guest: a Debian kernel plus a busybox initramfs.
#
#   guest/build.sh [--kernel NAME] [OUTDIR]      (default: bookworm, build/guest)
#
# NAME picks the Debian kernel (docs/testing.md, "Guest kernels"):
#   bookworm          Debian 12's linux-image-cloud-amd64 (Linux 6.1): the default guest
#   bookworm-generic  Debian 12's linux-image-amd64 (6.1, the generic flavour)
#   backports         bookworm-backports' linux-image-cloud-amd64 (6.12, as trixie's)
#   sid               sid's linux-image-cloud-amd64 (the newest release)
# PLUGVM_GUEST_KERNEL=NAME does the same as --kernel NAME.
#
# Outputs (OUTDIR):
#   vmlinuz          the kernel
#   initramfs.img    cpio newc, uncompressed: busybox-static, /init (guest/init), lsmem, chmem,
#                    the few modules /init loads (uncompressed), and guest/tools/*.c built
#                    static (cc -static) as /usr/bin/NAME
#   kernel/          the unpacked kernel package(s) (dpkg -x), for the L1 kvm modules
#   kernel-release   e.g. 6.1.0-56-cloud-amd64
#   kernel-name      NAME
#
# The .debs are fetched with `apt-get download` into a cache ($PLUGVM_CACHE_DIR, default
# build/cache), never installed. bookworm and bookworm-generic resolve through the host's
# apt (needs `apt-get update` to have been run once); backports and sid through a package
# list of that suite kept in the cache. Re-runs skip every step whose outputs are newer
# than its inputs, and work offline once the kernel packages are cached.
#
# Recommended guest command line (docs/linux-facts.md, "Onlining, and the GED edge before the driver listens"):
#   console=ttyS0 memhp_default_state=online_movable
# plus, as needed, nokaslr, pci=off, rdinit=/init, and for ACPI hotplug debugging
#   dyndbg="file drivers/acpi/scan.c +p; file drivers/acpi/bus.c +p; file drivers/acpi/acpi_memhotplug.c +p; file drivers/acpi/evged.c +p"
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
kernel_name=${PLUGVM_GUEST_KERNEL:-bookworm}
if [ "${1:-}" = --kernel ]; then
    [ $# -ge 2 ] || { echo "guest/build.sh: --kernel needs a name" >&2; exit 2; }
    kernel_name=$2
    shift 2
fi
case "$kernel_name" in
    bookworm) suite="" meta=linux-image-cloud-amd64 ;;
    bookworm-generic) suite="" meta=linux-image-amd64 ;;
    backports) suite=bookworm-backports meta=linux-image-cloud-amd64 ;;
    sid) suite=sid meta=linux-image-cloud-amd64 ;;
    *) echo "guest/build.sh: unknown kernel '$kernel_name' (bookworm, bookworm-generic, backports or sid)" >&2
       exit 2 ;;
esac
out=${1:-$repo/build/guest}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=${PLUGVM_CACHE_DIR:-$repo/build/cache}
mkdir -p "$cache"
# shellcheck source=initramfs-lib.sh
. "$here/initramfs-lib.sh"

log() { echo "guest/build.sh: $*" >&2; }

# --- kernel ------------------------------------------------------------------------------
IRD_APT_OPTS=()
[ -z "$suite" ] || ird_suite_apt "$suite" "$cache"
mapfile -t debs < <(ird_kernel_debs "$cache" "$out/kernel-package" "$meta" ${IRD_APT_OPTS[@]+"${IRD_APT_OPTS[@]}"})
[ ${#debs[@]} -gt 0 ] || exit 1
ird_unpack_debs "$out/kernel" "${debs[@]}"
modules_dir=$(ird_kernel_modules_dir "$out/kernel") || exit 1
release=$(basename "$modules_dir")
vmlinuz=$(ird_kernel_vmlinuz "$out/kernel" "$release") || exit 1
if ird_stale "$out/vmlinuz" "$vmlinuz"; then
    cp "$vmlinuz" "$out/vmlinuz.tmp" && mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
fi
echo "$release" > "$out/kernel-release.tmp" && mv -f "$out/kernel-release.tmp" "$out/kernel-release"
echo "$kernel_name" > "$out/kernel-name.tmp" && mv -f "$out/kernel-name.tmp" "$out/kernel-name"

# --- initramfs ---------------------------------------------------------------------------
bb=$(command -v busybox)
lsmem=$(command -v lsmem || true)
chmem=$(command -v chmem || PATH=$PATH:/usr/sbin:/sbin command -v chmem || true)
[ -n "$lsmem" ] && [ -n "$chmem" ] || { log "lsmem/chmem not found (apt-get install util-linux)"; exit 1; }

# pvpanic-mmio binds to plugvm's QEMU0001 device and reports a kernel panic to the VMM.
# It needs the pvpanic core module, which Debian builds as a module too. The ACPI power
# button (plugvm's \_SB.PWRB, QEMU's too) and evdev, through which busybox acpid sees the
# key press that system_powerdown sends.
moddir=$modules_dir/kernel
modules=()
for m in drivers/misc/pvpanic/pvpanic.ko drivers/misc/pvpanic/pvpanic-mmio.ko \
         drivers/acpi/button.ko drivers/input/evdev.ko; do
    f=$(ird_module_file "$moddir" "$m") || { log "no $m in the $kernel_name kernel"; exit 1; }
    modules+=("$f")
done
# virtio-mem (plugvm's and QEMU's -device virtio-mem-pci): plugvm's is a virtio-mmio device
# the DSDT describes (LNRO0005), so virtio_mmio binds it and virtio_mem drives it. Their
# dependencies are virtio and virtio_ring (modinfo's depends=), modules in 6.1 and built in
# (modules.builtin) in newer Debian kernels; /init loads whichever are here, in this order.
for m in drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko drivers/virtio/virtio_mmio.ko \
         drivers/virtio/virtio_mem.ko; do
    if f=$(ird_module_file "$moddir" "$m"); then
        modules+=("$f")
    elif [ ! -e "$modules_dir/modules.builtin" ]; then
        # sid's 7.x packages ship no modules.builtin; there virtio and virtio_ring are
        # built in. /init reports a virtio-mem driver that did not bind.
        log "no $m module in the $kernel_name kernel and no modules.builtin to check: taken as built in"
    elif ! grep -qx "kernel/$m" "$modules_dir/modules.builtin"; then
        log "no $m in the $kernel_name kernel, neither as a module nor built in"
        exit 1
    fi
done

# QEMU's -device virtio-mem-pci is a virtio-pci device (tools/bench-virtio-mem runs it):
# virtio_pci and the two libraries it depends on, where the kernel has them as modules.
for m in drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci_modern_dev.ko \
         drivers/virtio/virtio_pci.ko; do
    if f=$(ird_module_file "$moddir" "$m"); then
        modules+=("$f")
    fi
done

# Small static test helpers (guest/tools/*.c -> /usr/bin/NAME): hpregs pokes the hotplug
# registers, pinmem pins a page of a DIMM (e2e tests hostile_registers, unplug_pending).
tools=()
for src in "$here"/tools/*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    if ird_stale "$out/tools/$name" "$src"; then
        mkdir -p "$out/tools"
        ${CC:-cc} -static -O2 -std=c17 -Wall -Wextra -Werror -o "$out/tools/$name.tmp" "$src" ||
            { log "cannot build $src (needs libc6-dev's static libc)"; exit 1; }
        mv -f "$out/tools/$name.tmp" "$out/tools/$name"
    fi
    tools+=("$out/tools/$name")
done

if ird_stale "$out/initramfs.img" "$here/init" "$here/build.sh" "$here/initramfs-lib.sh" \
        "$out/kernel/.unpacked" "$bb" "$lsmem" "$chmem" "${modules[@]}" ${tools[@]+"${tools[@]}"}; then
    log "building initramfs.img"
    root=$out/initramfs.root
    rm -rf "$root"
    mkdir -p "$root"/{dev,proc,sys,tmp,run,root,etc}
    ird_busybox "$root"
    ird_copy_bin "$root" "$lsmem" /usr/bin/lsmem
    ird_copy_bin "$root" "$chmem" /usr/sbin/chmem
    for t in ${tools[@]+"${tools[@]}"}; do
        install -m 0755 "$t" "$root/usr/bin/$(basename "$t")"
    done
    install -m 0755 "$here/init" "$root/init"
    mkdir -p "$root/lib/modules"
    for m in "${modules[@]}"; do ird_install_module "$m" "$root/lib/modules"; done
    # busybox acpid runs /etc/acpi/PWRF/00000080 when the power button is pressed.
    mkdir -p "$root/etc/acpi/PWRF"
    printf '#!/bin/sh\nexec poweroff\n' > "$root/etc/acpi/PWRF/00000080"
    chmod 0755 "$root/etc/acpi/PWRF/00000080"
    # busybox init (exec'ed by /init): a job-control shell on the console, respawned.
    printf '%s\n' '::respawn:/bin/cttyhack /bin/sh -l' \
        '::ctrlaltdel:/sbin/reboot' > "$root/etc/inittab"
    echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
    echo 'root:x:0:' > "$root/etc/group"
    # Uncompressed: the guest kernel then only copies the files into its rootfs. Inflating
    # gzip took ~0.7 s of a 6.5 s boot in the nested bed (docs/benchmarks.md), for ~3 MB
    # less to load.
    ird_pack "$root" "$out/initramfs.img" none
    rm -rf "$root"
fi
log "ready: $out/vmlinuz ($release), $out/initramfs.img"
