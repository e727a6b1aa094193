#!/bin/sh
# The ACPI tables of the real plugvm binary (plugvm --dump-acpi), for several machines:
#   - every table's checksum is right (RSDP: both of its checksums), and the RSDP points
#     above 1 MiB, where the other tables are;
#   - every table but the RSDP disassembles with `iasl -d`, exit 0, no Error/Warning, and
#     the disassembly has no "Incorrect checksum"/"Invalid"/"terminates" complaints;
#   - the disassembled DSDT compiles again with 0 errors and 0 warnings;
#   - the DSDT has one PNP0C80 memory device per slot, the MADT one local APIC per CPU,
#     the SRAT the NUMA nodes' memory, no two memory ranges overlapping, and the DIMM window
#     split into one hot-pluggable range per node;
#   - the DSDT's hotplug AML runs in acpiexec (check-dsdt.sh) when there are slots.
#   - with virtio-mem devices, one LNRO0005 virtio-mmio node each (window, level GSI).
#
# usage: check-dump.sh PLUGVM
set -u
plugvm=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "check-dump: FAIL [$name]: $*" >&2; fails=$((fails + 1)); }

command -v iasl >/dev/null || { echo "check-dump: FAIL: iasl not installed (apt-get install acpica-tools)" >&2; exit 1; }
[ -x "$plugvm" ] || { echo "check-dump: FAIL: $plugvm is not executable" >&2; exit 1; }

# Sum of bytes [from, from+len) of a file, mod 256.
bytesum() {
	od -An -v -tu1 -j "$2" -N "$3" "$1" | awk '{for (i = 1; i <= NF; i++) s += $i} END {print s % 256}'
}
# Little-endian 32-bit value at offset.
le32() {
	od -An -v -tu4 -j "$2" -N 4 "$1" | awk '{print $1}'
}

# variant NAME SLOTS CPUS NODES WINDOW_BASE WINDOW_LEN -- plugvm options...
variant() {
	name=$1 slots=$2 cpus=$3 nodes=$4 wbase=$5 wlen=$6
	shift 7
	d=$work/$name
	if ! out=$("$plugvm" --dump-acpi "$d" "$@" 2>&1); then
		fail "plugvm --dump-acpi $* failed: $out"
		return
	fi
	want="apic dsdt facp rsdp xsdt"
	[ "$nodes" -gt 1 ] || [ "$slots" -gt 0 ] && want="$want srat"
	for t in $want; do
		[ -s "$d/$t.dat" ] || fail "no $t.dat"
	done

	# Checksums.
	r=$d/rsdp.dat
	if [ -s "$r" ]; then
		[ "$(head -c 8 "$r")" = "RSD PTR " ] || fail "rsdp.dat has no 'RSD PTR ' signature"
		[ "$(bytesum "$r" 0 20)" = 0 ] || fail "RSDP checksum (first 20 bytes) is wrong"
		[ "$(bytesum "$r" 0 36)" = 0 ] || fail "RSDP extended checksum is wrong"
		# The other tables are above 1 MiB, below the kernel at 16 MiB (docs/acpi.md,
		# "Where the tables are").
		x=$(le32 "$r" 24)
		[ "$(le32 "$r" 28)" = 0 ] && [ "$x" -ge 1048576 ] && [ "$x" -lt 2097152 ] ||
			fail "RSDP's XSDT address $x is not in [1 MiB, 2 MiB)"
	fi
	for f in "$d"/*.dat; do
		t=$(basename "$f" .dat)
		[ "$t" = rsdp ] && continue
		len=$(le32 "$f" 4)
		size=$(wc -c < "$f")
		[ "$len" = "$size" ] || fail "$t: header length $len, file has $size bytes"
		[ "$(bytesum "$f" 0 "$size")" = 0 ] || fail "$t: checksum is wrong"
		# Disassembly.
		if ! (cd "$d" && iasl -d "$t.dat" > "$t.iasl" 2>&1); then
			fail "iasl -d $t.dat exited non-zero: $(tail -n 5 "$d/$t.iasl")"
			continue
		fi
		if grep -E 'Error|Warning' "$d/$t.iasl" >/dev/null; then
			fail "iasl -d $t.dat: $(grep -E 'Error|Warning' "$d/$t.iasl" | head -n 5)"
		fi
		if grep -iE 'incorrect|invalid|terminates|error|warning|unknown' "$d/$t.dsl" >/dev/null; then
			fail "$t.dsl: $(grep -iE 'incorrect|invalid|terminates|error|warning|unknown' "$d/$t.dsl" | head -n 5)"
		fi
	done

	# The DSDT compiles back.
	if [ -s "$d/dsdt.dsl" ]; then
		(cd "$d" && iasl -p "$d/recompiled" dsdt.dsl > recompile.log 2>&1) ||
			fail "the disassembled DSDT does not compile: $(grep -E 'Error|Warning' "$d/recompile.log" | head -n 5)"
		grep -q 'Compilation successful. *0 Errors, *0 Warnings' "$d/recompile.log" ||
			fail "DSDT recompilation: $(grep -E 'Errors|Error |Warning ' "$d/recompile.log" | head -n 5)"
		n=$(grep -c 'EisaId ("PNP0C80")' "$d/dsdt.dsl")
		[ "$n" = "$slots" ] || fail "DSDT has $n PNP0C80 devices, expected $slots"
	fi
	# MADT: one enabled local APIC per CPU.
	if [ -s "$d/apic.dsl" ]; then
		n=$(grep -c 'Subtable Type : 00 \[Processor Local APIC\]' "$d/apic.dsl")
		[ "$n" = "$cpus" ] || fail "MADT has $n local APICs, expected $cpus"
	fi
	# SRAT: memory of every node; the window hot-pluggable.
	if [ -s "$d/srat.dsl" ]; then
		# One line per memory affinity: "domain base length hotpluggable".
		awk '/Subtable Type : 01/ {m = 1; next}
		     /Subtable Type/ {m = 0}
		     m && /Proximity Domain :/ {dom = $NF}
		     m && /Base Address :/ {base = $NF}
		     m && /Address Length :/ {len = $NF}
		     m && /Hot Pluggable :/ {print dom + 0, base, len, $NF}' "$d/srat.dsl" > "$d/srat.mem"
		for n in $(seq 0 $((nodes - 1))); do
			awk -v n="$n" '$1 == n && $4 == 0' "$d/srat.mem" | grep -q . ||
				fail "SRAT has no boot memory for node $n: $(cat "$d/srat.mem")"
		done
		# No two memory ranges overlap (docs/acpi.md, "SRAT layout").
		end=0
		for r in $(awk '{print $2 ":" $3}' "$d/srat.mem" | sort); do
			b=$((0x${r%%:*})) l=$((0x${r#*:}))
			[ "$b" -ge "$end" ] || fail "SRAT memory ranges overlap: $(cat "$d/srat.mem")"
			end=$((b + l))
		done
		# The window is split between the nodes: one hot-pluggable piece each, in node
		# order, the pieces following each other from its base to its end.
		if [ "$slots" -gt 0 ]; then
			next=$((0x$wbase)) pieces=0
			for r in $(awk '$4 == 1 {print $2 ":" $3 ":" $1}' "$d/srat.mem" | sort); do
				b=${r%%:*} rest=${r#*:}
				[ "$((0x$b))" = "$next" ] && [ "${rest#*:}" = "$pieces" ] ||
					fail "SRAT's hot-pluggable range $r is out of place: $(cat "$d/srat.mem")"
				next=$((0x$b + 0x${rest%%:*})) pieces=$((pieces + 1))
			done
			[ "$next" = "$((0x$wbase + 0x$wlen))" ] && [ "$pieces" = "$nodes" ] ||
				fail "SRAT's hot-pluggable ranges are not the window $wbase+$wlen in $nodes pieces: $(cat "$d/srat.mem")"
		fi
		n=$(grep -c 'Subtable Type : 00 \[Processor Local APIC/SAPIC Affinity\]' "$d/srat.dsl")
		[ "$n" = "$cpus" ] || fail "SRAT has $n CPU affinities, expected $cpus"
	fi
	# The hotplug AML in acpiexec.
	if [ "$slots" -gt 0 ] && command -v acpiexec >/dev/null; then
		"$here/check-dsdt.sh" "$d" "$slots" > "$d/check-dsdt.log" 2>&1 ||
			fail "check-dsdt.sh: $(tail -n 5 "$d/check-dsdt.log")"
	fi
	echo "check-dump: [$name] checked $(ls "$d"/*.dat | wc -l) tables"
}

variant hotplug 8 2 1 0000000100000000 00000003C0000000 -- \
	-m 1G,slots=8,maxmem=16G -smp 2
variant numa 8 2 2 0000000100000000 00000003C0000000 -- \
	-m 1G,slots=8,maxmem=16G -smp 2 \
	-object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M \
	-numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1
variant plain 0 1 1 - - -- -m 512M
# virtio-mem without slots: no PNP0C80 device, but the window is in the SRAT and each
# device is a LNRO0005 virtio-mmio node with its window and level-triggered GSI.
variant virtio-mem 0 1 1 - - -- -m 1G,maxmem=18G \
	-object memory-backend-ram,id=vmem0,size=16G \
	-device virtio-mem-pci,id=vm0,memdev=vmem0,node=0,requested-size=0 \
	-object memory-backend-ram,id=vmem1,size=1G -device virtio-mem-device,id=vm1,memdev=vmem1
d=$work/virtio-mem
if [ -s "$d/dsdt.dsl" ]; then
	n=$(grep -c 'Name (_HID, "LNRO0005")' "$d/dsdt.dsl")
	[ "$n" = 2 ] || fail "DSDT has $n LNRO0005 devices, expected 2"
	for i in 0 1; do
		base=$(printf '0x%08X' $((0xFEB00000 + i * 0x200)))
		gsi=$(printf '0x%08X' $((22 + i)))
		sed -n "/Device (VM0$i)/,/^        }/p" "$d/dsdt.dsl" | tr -s ' \n' ' ' > "$d/vm$i.txt"
		grep -q "Name (_UID, $( [ $i = 0 ] && echo Zero || echo One ))" "$d/vm$i.txt" ||
			fail "VM0$i: _UID is not $i"
		grep -q "Memory32Fixed (ReadWrite, $base, // Address Base 0x00000200, // Address Length )" "$d/vm$i.txt" ||
			fail "VM0$i: no Memory32Fixed (ReadWrite, $base, 0x200): $(cat "$d/vm$i.txt")"
		grep -q "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, ) { $gsi, }" "$d/vm$i.txt" ||
			fail "VM0$i: no level, active-high Interrupt {$gsi}: $(cat "$d/vm$i.txt")"
	done
fi
grep -q "^0 0000000100000000 0000000440000000 1\$" "$d/srat.mem" 2>/dev/null ||
	fail "SRAT has no hot-pluggable window for virtio-mem: $(cat "$d/srat.mem" 2>/dev/null)"
variant big 256 8 1 0000000180000000 0000007EC0000000 -- \
	-m 5G,slots=256,maxmem=512G -smp 8

if [ "$fails" -gt 0 ]; then
	echo "check-dump: $fails failure(s)" >&2
	exit 1
fi
echo "check-dump: ok"
