# shellcheck shell=bash
# Helpers shared by guest/build.sh, tests/nested/build-l1.sh and l1-kernel.sh: assembling a
# busybox initramfs, fetching Debian's kernel.  Source it; it defines functions only.

# ird_busybox ROOT: busybox-static plus one symlink per applet (never busybox itself:
# a busybox -> busybox loop makes the kernel fail to run /init).
ird_busybox() {
    local root=$1 bb applet
    bb=$(command -v busybox) || { echo "busybox not found (apt-get install busybox-static)" >&2; return 1; }
    if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
        echo "$bb is not statically linked (apt-get install busybox-static)" >&2
        return 1
    fi
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
    cp -L "$bb" "$root/bin/busybox"
    while read -r applet; do
        [ "$applet" = "bin/busybox" ] && continue
        mkdir -p "$root/$(dirname "$applet")"
        ln -sfn /bin/busybox "$root/$applet"
    done < <("$bb" --list-full)
}

# ird_copy_bin ROOT SRC [DEST]: copy a dynamically linked program and every library
# ldd lists for it (keeping their paths) plus the dynamic loader.
ird_copy_bin() {
    local root=$1 src=$2 dest=${3:-$2} lib
    mkdir -p "$root/$(dirname "$dest")"
    rm -f "$root/$dest"
    cp -L "$src" "$root/$dest"
    while read -r lib; do
        [ -n "$lib" ] || continue
        if [ ! -e "$root/$lib" ]; then
            mkdir -p "$root/$(dirname "$lib")"
            cp -L "$lib" "$root/$lib"
        fi
    done < <(ldd "$src" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]+ \(/{print $1}')
    if [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
        mkdir -p "$root/lib64"
        cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
    fi
}

# ird_pack ROOT OUT [gzip|none]: cpio newc, root-owned, gzip -1 (default) or uncompressed,
# written atomically.
ird_pack() {
    local root=$1 out=$2 compress=${3:-gzip}
    ( cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 ) \
        | if [ "$compress" = none ]; then cat; else gzip -1; fi > "$out.tmp"
    mv -f "$out.tmp" "$out"
}

# ird_stale OUT INPUT...: true when OUT is missing or older than any input
# (inputs that are directories are searched recursively).
ird_stale() {
    local out=$1; shift
    [ -e "$out" ] || return 0
    [ -n "$(find -L "$@" -newer "$out" -print -quit 2>/dev/null)" ]
}

# ird_kernel_deb CACHE RECORD [APT_OPTION...]: prints the path of the .deb of Debian's
# current linux-image-*-cloud-amd64 in CACHE, fetched with `apt-get download` (never
# installed) when it is not there yet. The image package is resolved through the
# metapackage (apt-cache with the given options) and its name written to RECORD; when
# apt-cache cannot resolve it (offline, no package lists), the name last written there
# is used.
ird_kernel_deb() {
    local cache=$1 record=$2 pkg deb
    shift 2
    pkg=$(apt-cache "$@" depends linux-image-cloud-amd64 2>/dev/null \
          | awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-cloud-amd64$/ {print $2; exit}' || true)
    if [ -z "$pkg" ]; then
        if [ ! -s "$record" ]; then
            echo "cannot resolve linux-image-cloud-amd64: run 'apt-get update' once (as root)" >&2
            return 1
        fi
        pkg=$(cat "$record")
        echo "apt-cache cannot resolve linux-image-cloud-amd64; reusing $pkg" >&2
    fi
    deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort | tail -n 1)
    if [ -z "$deb" ]; then
        echo "downloading $pkg into $cache" >&2
        ( cd "$cache" && apt-get "$@" download -q -o APT::Sandbox::User=root "$pkg" ) >&2
        deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort | tail -n 1)
        [ -n "$deb" ] || { echo "apt-get download $pkg produced no .deb" >&2; return 1; }
    fi
    echo "$pkg" > "$record.tmp" && mv -f "$record.tmp" "$record"
    echo "$deb"
}

# ird_unpack_deb DEB DIR: dpkg -x DEB into a fresh DIR, unless DIR already holds it.
ird_unpack_deb() {
    local deb=$1 dir=$2
    if [ ! -e "$dir/.unpacked" ] || [ "$(cat "$dir/.unpacked")" != "$(basename "$deb")" ]; then
        echo "unpacking $(basename "$deb")" >&2
        rm -rf "$dir"
        mkdir -p "$dir"
        dpkg -x "$deb" "$dir"
        basename "$deb" > "$dir/.unpacked"
    fi
}
