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

# ird_suite_apt SUITE CACHE: sets IRD_APT_OPTS to apt options that read Debian SUITE's
# package list from a private directory under CACHE (fetched once; later runs, and runs
# without network, use it as it is), so the host's apt configuration is left alone.
ird_suite_apt() {
    local suite=$1 cache=$2 dir
    dir=$cache/apt-$suite
    mkdir -p "$dir/lists/partial"
    echo "deb http://deb.debian.org/debian $suite main" > "$dir/sources.list"
    IRD_APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
                  -o "Dir::State::Lists=$dir/lists")
    if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -print -quit)" ]; then
        echo "fetching the package list of $suite (private to $dir)" >&2
        apt-get "${IRD_APT_OPTS[@]}" -q update >&2 || true
    fi
}

# ird_kernel_debs CACHE RECORD META [APT_OPTION...]: prints, one a line, the paths of
# the .debs that hold the kernel and modules of Debian's metapackage META (e.g.
# linux-image-cloud-amd64), fetched with `apt-get download` into CACHE (never installed)
# when they are not there yet. META is resolved to its linux-image-VERSION package, whose
# name is written to RECORD; when apt-cache cannot resolve it (offline, no package
# lists), the name last written there is used.
# Up to Linux 6.x linux-image-VERSION holds the kernel (boot/vmlinuz-VERSION) and its
# modules; from 7.x Debian ships it as an empty package that depends on
# linux-binary-VERSION (usr/lib/modules/VERSION/vmlinuz) and linux-modules-VERSION.
ird_kernel_debs() {
    local cache=$1 record=$2 meta=$3 pkg version deb p
    local pkgs=() debs=()
    shift 3
    pkg=$(apt-cache "$@" depends "$meta" 2>/dev/null \
          | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}' || true)
    if [ -z "$pkg" ]; then
        if [ ! -s "$record" ]; then
            echo "cannot resolve $meta: run 'apt-get update' once (as root)" >&2
            return 1
        fi
        pkg=$(cat "$record")
        echo "apt-cache cannot resolve $meta; reusing $pkg" >&2
    fi
    version=${pkg#linux-image-}
    if apt-cache "$@" show "linux-binary-$version" >/dev/null 2>&1 ||
       [ -n "$(find "$cache" -maxdepth 1 -name "linux-binary-${version}_*_amd64.deb" -print -quit)" ]; then
        pkgs=("linux-binary-$version" "linux-modules-$version")
    else
        pkgs=("$pkg")
    fi
    for p in "${pkgs[@]}"; do
        deb=$(find "$cache" -maxdepth 1 -name "${p}_*_amd64.deb" | sort | tail -n 1)
        if [ -z "$deb" ]; then
            echo "downloading $p into $cache" >&2
            ( cd "$cache" && apt-get "$@" download -q -o APT::Sandbox::User=root "$p" ) >&2
            deb=$(find "$cache" -maxdepth 1 -name "${p}_*_amd64.deb" | sort | tail -n 1)
            [ -n "$deb" ] || { echo "apt-get download $p produced no .deb" >&2; return 1; }
        fi
        debs+=("$deb")
    done
    echo "$pkg" > "$record.tmp" && mv -f "$record.tmp" "$record"
    printf '%s\n' "${debs[@]}"
}

# ird_unpack_debs DIR DEB...: dpkg -x every DEB into a fresh DIR, unless DIR already
# holds exactly those.
ird_unpack_debs() {
    local dir=$1 deb names
    shift
    names=$(for deb in "$@"; do basename "$deb"; done | tr '\n' ' ')
    if [ ! -e "$dir/.unpacked" ] || [ "$(cat "$dir/.unpacked")" != "$names" ]; then
        echo "unpacking $names" >&2
        rm -rf "$dir"
        mkdir -p "$dir"
        for deb in "$@"; do dpkg -x "$deb" "$dir"; done
        echo "$names" > "$dir/.unpacked"
    fi
}

# ird_kernel_modules_dir TREE: the lib/modules/VERSION directory of an unpacked kernel
# (usr/lib/modules in the 7.x packages).
ird_kernel_modules_dir() {
    local d
    for d in "$1"/lib/modules/* "$1"/usr/lib/modules/*; do
        [ -d "$d/kernel" ] && { echo "$d"; return 0; }
    done
    echo "no lib/modules/VERSION/kernel in $1" >&2
    return 1
}

# ird_kernel_vmlinuz TREE VERSION: the kernel image of an unpacked kernel.
ird_kernel_vmlinuz() {
    local f
    for f in "$1/boot/vmlinuz-$2" "$1/usr/lib/modules/$2/vmlinuz" "$1/lib/modules/$2/vmlinuz"; do
        [ -e "$f" ] && { echo "$f"; return 0; }
    done
    echo "no vmlinuz for $2 in $1" >&2
    return 1
}

# ird_module_file MODDIR NAME.ko: the module as packaged (NAME.ko, or compressed
# NAME.ko.xz / NAME.ko.zst as Debian ships them since 6.x); fails when absent.
ird_module_file() {
    local f
    for f in "$1/$2" "$1/$2.xz" "$1/$2.zst"; do
        [ -e "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

# ird_install_module SRC DESTDIR: copies a module found by ird_module_file into DESTDIR
# as NAME.ko, uncompressed (busybox insmod loads plain modules only).
ird_install_module() {
    local src=$1 dest=$2 name
    name=$(basename "$src")
    name=${name%.xz}
    name=${name%.zst}
    case "$src" in
        *.xz) xz -dc "$src" > "$dest/$name" ;;
        *.zst) zstd -qdc "$src" > "$dest/$name" ;;
        *) cp "$src" "$dest/$name" ;;
    esac
}
