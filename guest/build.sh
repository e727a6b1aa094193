#!/usr/bin/env bash
# Build plugvm's default guest: Debian's cloud kernel plus a busybox initramfs.
#
#   guest/build.sh [OUTDIR]            (default: build/guest)
#
# Outputs (OUTDIR):
#   vmlinuz          the kernel of Debian's current linux-image-*-cloud-amd64
#   initramfs.img    cpio newc, uncompressed: busybox-static, /init (guest/init), lsmem, chmem,
#                    and guest/tools/*.c built static (cc -static) as /usr/bin/NAME
#   kernel/          the unpacked kernel package (dpkg -x), for the L1 kvm modules
#   kernel-release   e.g. 6.1.0-56-cloud-amd64
#
# The .deb is fetched with `apt-get download` into a cache ($PLUGVM_CACHE_DIR, default
# build/cache), never installed.  Needs `apt-get update` to have been run once.  Re-runs
# skip every step whose outputs are newer than its inputs, and work offline once the
# kernel package is cached.
#
# Recommended guest command line (design brief §4.4):
#   console=ttyS0 memhp_default_state=online_movable
# plus, as needed, nokaslr, pci=off, rdinit=/init, and for ACPI hotplug debugging
#   dyndbg="file drivers/acpi/scan.c +p; file drivers/acpi/bus.c +p; file drivers/acpi/acpi_memhotplug.c +p; file drivers/acpi/evged.c +p"
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:-$repo/build/guest}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=${PLUGVM_CACHE_DIR:-$repo/build/cache}
mkdir -p "$cache"
# shellcheck source=initramfs-lib.sh
. "$here/initramfs-lib.sh"

log() { echo "guest/build.sh: $*" >&2; }

# --- kernel ------------------------------------------------------------------------------
deb=$(ird_kernel_deb "$cache" "$out/kernel-package") || exit 1
pkg=$(cat "$out/kernel-package")
release=${pkg#linux-image-}
ird_unpack_deb "$deb" "$out/kernel"
vmlinuz=$(find "$out/kernel/boot" -maxdepth 1 -name "vmlinuz-$release" | head -n 1)
[ -n "$vmlinuz" ] || { log "no boot/vmlinuz-$release in $deb"; exit 1; }
if ird_stale "$out/vmlinuz" "$vmlinuz"; then
    cp "$vmlinuz" "$out/vmlinuz.tmp" && mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
fi
echo "$release" > "$out/kernel-release.tmp" && mv -f "$out/kernel-release.tmp" "$out/kernel-release"

# --- initramfs ---------------------------------------------------------------------------
bb=$(command -v busybox)
lsmem=$(command -v lsmem || true)
chmem=$(command -v chmem || PATH=$PATH:/usr/sbin:/sbin command -v chmem || true)
[ -n "$lsmem" ] && [ -n "$chmem" ] || { log "lsmem/chmem not found (apt-get install util-linux)"; exit 1; }

# pvpanic-mmio binds to plugvm's QEMU0001 device and reports a kernel panic to the VMM.
# It needs the pvpanic core module, which Debian builds as a module too.
pvpanic_dir=$out/kernel/lib/modules/$release/kernel/drivers/misc/pvpanic
pvpanic=$pvpanic_dir/pvpanic-mmio.ko
[ -e "$pvpanic" ] && [ -e "$pvpanic_dir/pvpanic.ko" ] || { log "no pvpanic modules in $pkg"; exit 1; }

# The ACPI power button (plugvm's \_SB.PWRB, QEMU's too) and evdev, through which busybox
# acpid sees the key press that system_powerdown sends.
moddir=$out/kernel/lib/modules/$release/kernel
button=$moddir/drivers/acpi/button.ko
evdev=$moddir/drivers/input/evdev.ko
[ -e "$button" ] && [ -e "$evdev" ] || { log "no button/evdev modules in $pkg"; exit 1; }

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
        "$bb" "$lsmem" "$chmem" "$pvpanic" "$button" "$evdev" ${tools[@]+"${tools[@]}"}; then
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
    cp "$pvpanic_dir/pvpanic.ko" "$pvpanic" "$button" "$evdev" "$root/lib/modules/"
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
