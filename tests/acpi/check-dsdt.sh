#!/bin/sh
# Runs plugvm's generated DSDT in acpiexec (ACPICA's user-space interpreter)
# and checks the hotplug AML end to end: _STA/_CRS/_PXM/_EJ0 through the
# register block, and that draining the event queue from GED._EVT notifies
# exactly the right Mnnn device, at most 64 times per interrupt; and that
# GED._EVT on the power button's GSI notifies \_SB.PWRB with 0x80.
#
# usage: check-dsdt.sh DIR NR_SLOTS [PIECE]   (DIR holds dsdt.dat from acpi_dump)
# PIECE: the DSDT was built with DIMMs split into PIECE-byte ranges (the guest's
# memmap_on_memory); then a DIMM's _CRS must list one range per piece, highest first.
# acpiexec treats the SystemIO region as memory, so evq-ssdt.asl stands in
# for the VMM by writing the registers the AML reads.
set -u
dir=$1
slots=$2
piece=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-dsdt: FAIL: $*" >&2; exit 1; }

command -v acpiexec >/dev/null || fail "acpiexec not installed (apt-get install acpica-tools)"
command -v iasl >/dev/null || fail "iasl not installed (apt-get install acpica-tools)"

# run "cmd1;cmd2;..." [extra tables...]: acpiexec output in $work/out
run() {
	cmds=$1
	shift
	timeout 120 acpiexec -b "$cmds" "$dir/dsdt.dat" "$@" >"$work/out" 2>&1 || fail "acpiexec exited $? for: $(echo "$cmds" | cut -c1-120)"
	# Not an AML error: ACPICA runs each Notify's handler on a thread of its own
	# (AcpiOsExecute), and acpiexec counts the notify records of threads still
	# running when it exits as "Outstanding cache allocations"; on a loaded host
	# that happened now and then. The notify counts below still check every Notify.
	if grep -E 'ACPI Error|AE_[A-Z_]+|Exception' "$work/out" |
	   grep -v 'Outstanding cache allocations' >/dev/null; then
		grep -E 'ACPI Error|AE_[A-Z_]+|Exception' "$work/out" >&2
		fail "AML error while running: $(echo "$cmds" | cut -c1-120)"
	fi
}
notifies() { grep -c "Received a System Notify on \[$1\].*Value $2" "$work/out"; }
# Notifies the AML queued whose handler thread had not run when acpiexec exited: each is
# one State-Notify object in the leak list acpiexec prints at exit (seen on a loaded
# host: 1023 of 1024 printed, one State-Notify outstanding). Counted, so a queued Notify
# is told from one the AML never issued.
pending() { grep -c '\[State-Notify\]' "$work/out"; }
# exactly N, or N minus at most the pending ones: "$(count_ok HAVE WANT)" = yes
count_ok() { [ "$1" -le "$2" ] && [ "$1" -ge $(($2 - $(pending))) ] && echo yes; }
# Values from 0x80 up are device-specific: acpiexec calls those Device Notifies.
device_notifies() { grep -c "Received a Device Notify on \[$1\].*Value $2" "$work/out"; }
returns() { grep -A1 "returned object" "$work/out" | grep '\[Integer\]' | sed -n "${1}p" | awk '{print $NF}'; }

if [ "$slots" -eq 0 ]; then
	# No hotplug controller: the GED must still load and _EVT 20 just return;
	# the power button works all the same.
	run 'execute \_SB.GED0._EVT 20'
	grep -q 'Received a System Notify' "$work/out" && fail "notify without slots"
	run 'execute \_SB.GED0._EVT 21'
	[ "$(device_notifies PWRB 0x80)" -eq 1 ] || fail "_EVT 21 did not notify PWRB with 0x80"
	[ "$(grep -c 'Received a .* Notify' "$work/out")" -eq 1 ] || fail "stray notifies for the power button"
	echo "check-dsdt: ok (0 slots)"
	exit 0
fi

(cd "$work" && iasl -p "$work/evq" "$here/evq-ssdt.asl" >/dev/null 2>&1) || fail "cannot compile evq-ssdt.asl"
ssdt=$work/evq.aml
last=$((slots - 1))
lastname=$(printf 'M%03d' "$last")

# Slot methods go through the register block (one acpiexec run: each
# run costs about a second, whatever it does).
run "execute \\_SB.$lastname._STA;execute \\TS 1;execute \\_SB.$lastname._STA;execute \\TL;\
execute \\TM 0x140000000 0x8000000 1;execute \\_SB.M000._CRS;execute \\_SB.M000._PXM;\
execute \\_SB.M000._EJ0 1;execute \\TC;execute \\TL" "$ssdt"
[ "$(returns 1)" = 0000000000000000 ] || fail "_STA of an empty slot is not 0"
[ "$(returns 2)" = 000000000000000F ] || fail "_STA of an enabled slot is not 0x0F"
[ "$(returns 3)" = "$(printf '%016X' "$last")" ] || fail "_STA did not select slot $last"
grep -q '0000: 8A 2B 00 00 0D 03 00 00 00 00 00 00 00 00 00 00' "$work/out" || fail "_CRS header"
grep -q '0010: 00 40 01 00 00 00 FF FF FF 47 01 00 00 00 00 00' "$work/out" || fail "_CRS min/max"
grep -q '0020: 00 00 00 00 00 00 00 00 00 08 00 00 00 00 79 00' "$work/out" || fail "_CRS length"
[ "$(returns 4)" = 0000000000000001 ] || fail "_PXM is not 1"
[ "$(returns 5)" = 0000000000000003 ] || fail "_EJ0 did not write EJECT (3) to RCMD"
[ "$(returns 6)" = 0000000000000000 ] || fail "_EJ0 did not select slot 0"

# The bytes of the buffer \_SB.M000._CRS returned, as "8A 2B 00 ...".
crs_bytes() {
	sed -n '/M000._CRS returned/,/^$/p' "$work/out" | grep -E '^ +[0-9A-F]{4}:' |
		sed 's/^ *[0-9A-F]*: //; s/ *\/\/.*//' | tr '\n' ' ' | tr -s ' ' | sed 's/ $//'
}
le64() { printf '%016X' "$1" | sed 's/../& /g' | awk '{for (i = 8; i >= 1; i--) printf "%s ", $i}'; }
# QWordMemory (consumer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite) for [$1, $1 + $2)
qword_memory() {
	printf '8A 2B 00 00 0D 03 %s%s%s%s%s' "$(le64 0)" "$(le64 "$1")" "$(le64 $(($1 + $2 - 1)))" \
		"$(le64 0)" "$(le64 "$2")"
}
if [ -n "$piece" ]; then
	# A DIMM of three pieces: three ranges, highest first (Linux merges a range into
	# the one below it, so ascending ranges would become one add_memory call).
	run "execute \\TM 0x140000000 $((3 * piece)) 0;execute \\_SB.M000._CRS" "$ssdt"
	want="$(qword_memory $((0x140000000 + 2 * piece)) "$piece")$(qword_memory $((0x140000000 + piece)) "$piece")$(qword_memory $((0x140000000)) "$piece")79 00"
	[ "$(crs_bytes)" = "$want" ] || fail "_CRS of a 3-piece DIMM: got $(crs_bytes), want $want"
	# Beyond 256 pieces: one range again (the interpreter's work stays bounded).
	run "execute \\TM 0x140000000 $((257 * piece)) 0;execute \\_SB.M000._CRS" "$ssdt"
	want="$(qword_memory $((0x140000000)) $((257 * piece)))79 00"
	[ "$(crs_bytes)" = "$want" ] || fail "_CRS of a 257-piece DIMM: got $(crs_bytes), want $want"
fi

# Each queue entry notifies exactly its slot. The register reads back the
# same value in acpiexec, so every drain stops at the 64-pop bound.
# acpiexec's command line is limited, so go 16 slots per run.
base=0
while [ "$base" -lt "$slots" ]; do
	cmds=""
	i=$base
	while [ "$i" -lt "$slots" ] && [ "$i" -lt $((base + 16)) ]; do
		cmds="$cmds;execute \\TQ $(printf '0x%08X' $((0x80010000 + i)));execute \\_SB.GED0._EVT 20"
		i=$((i + 1))
	done
	run "${cmds#;}" "$ssdt"
	total=0 want=0
	i=$base
	while [ "$i" -lt "$slots" ] && [ "$i" -lt $((base + 16)) ]; do
		n=$(notifies "$(printf 'M%03d' "$i")" 0x01)
		[ "$(count_ok "$n" 64)" = yes ] ||
			fail "slot $i: $n Device Check notifies, want 64 ($(pending) still queued at exit)"
		total=$((total + n))
		want=$((want + 64))
		i=$((i + 1))
	done
	[ "$(grep -c 'Received a System Notify' "$work/out")" -eq "$total" ] || fail "stray notifies near slot $base"
	[ $((total + $(pending))) -eq "$want" ] ||
		fail "slots $base..: $total notifies and $(pending) queued, want $want"
	base=$((base + 16))
done

# An Eject Request for the last slot, then entries that must notify
# nobody: slot out of range, unknown code, no valid bit, and an interrupt
# that is neither the hotplug one nor the power button's. Then the power
# button's GSI with an entry queued: PWRB only, the queue left alone.
cmds="execute \\TQ 0x8003$(printf '%04X' "$last");execute \\_SB.GED0._EVT 20"
for q in "0x8001$(printf '%04X' "$slots")" 0x80020000 0x00010000; do
	cmds="$cmds;execute \\TQ $q;execute \\_SB.GED0._EVT 20"
done
run "$cmds;execute \\TQ 0x80010000;execute \\_SB.GED0._EVT 22;execute \\_SB.GED0._EVT 21" "$ssdt"
[ "$(count_ok "$(notifies "$lastname" 0x03)" 64)" = yes ] || fail "no Eject Request for slot $last"
[ "$(count_ok "$(device_notifies PWRB 0x80)" 1)" = yes ] || fail "_EVT 21 did not notify PWRB with 0x80"
[ $(($(grep -c 'Received a .* Notify' "$work/out") + $(pending))) -eq 65 ] ||
	fail "a bad queue entry notified a device"

echo "check-dsdt: ok ($slots slots)"
exit 0
