#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_memhp_regs (tests/fuzz/corpus/fuzz_memhp_regs/): a few
programs in the harness's byte language (tests/fuzz/fuzz_memhp_regs.c) that walk the
hotplug protocol as Linux's AML does it, so the fuzzer starts from deep states. Run by
hand; the output is committed."""
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_memhp_regs")

# Registers (mm/memhp_regs.h) by index (offset / 4).
SEL, STATUS, CMD, OST_EV, OST_ST, QUEUE = 0, 6, 7, 8, 9, 10
EJECT, ACK_INSERT = 2, 0          # indexes into the harness's command table
EV_CHECK, EV_EJECT, EV_OSPM = 0, 1, 2  # ... its _OST event table
ST_OK, ST_IN_PROGRESS, ST_BUSY = 0, 1, 2  # ... its _OST status table


def read(reg):
    return [0, (reg << 2) | 2]


def write(reg, choice):
    return [0, (reg << 2) | 3, choice]


def object_add(n, mib):  # n < 6, mib in 128..512
    for b in range(128):
        if b % 6 == n and ((b >> 3) & 3) == mib // 128 - 1 and (b >> 3) != 0x1f:
            return [4, b]
    raise ValueError


def device_add(n, memdev, opt=0, extra=(), kvm_refuses=False):
    for b in range(0x100):
        if b % 6 == n and (b >> 3) % 6 == memdev and ((b & 0xc0) == 0xc0) == kvm_refuses:
            return [6, b, opt] + list(extra)
    raise ValueError


def linux_hot_add(slot=0):
    """_EVT: QUEUE pops the Device Check and selects the slot; the kernel reads STATUS,
    onlines the memory and answers _OST(1, 0)."""
    return read(QUEUE) + read(STATUS) + write(OST_EV, EV_CHECK) + write(OST_ST, ST_OK)


def linux_hot_remove(status_first=ST_IN_PROGRESS):
    return (read(QUEUE) + write(OST_EV, EV_EJECT) + write(OST_ST, status_first) +
            write(CMD, EJECT) + write(OST_EV, EV_EJECT) + write(OST_ST, ST_OK))


def touch(slot, page, mark):
    return [11, slot, page & 0xff, page >> 8, mark]


def main():
    seeds = {
        # hot-add, the guest writes into the DIMM, device_del, the guest ejects, object_del
        "hotplug-cycle": [0] + object_add(0, 256) + device_add(0, 0) + [0] +
        linux_hot_add() + touch(0, 3, 0x5a) + [7, 0] + linux_hot_remove() + [9, 5, 0],
        # deferred main loop and a cold-plugged DIMM; the guest refuses the first eject
        "deferred-refused": [3] + [7, 0] + read(QUEUE) + write(OST_EV, EV_EJECT) +
        write(OST_ST, ST_BUSY) + [9] + [7, 0] + linux_hot_remove() + [10, 9],
        # two DIMMs; the guest reads the registers while KVM creates the second slot
        # and acts the moment it becomes visible; KVM refuses a third
        "during-device-add": [1] + object_add(1, 128) + object_add(2, 384) +
        device_add(1, 1) + [1] + read(QUEUE) + device_add(2, 2, 0x40, [3]) + read(QUEUE) +
        read(STATUS) + write(SEL, 1) + read(STATUS) + [2] + linux_hot_add() +
        object_add(3, 128) + device_add(3, 3, kvm_refuses=True) + [9, 10],
        # an unanswered device_del withdrawn by the tick, then the guest's own eject (0x103)
        "timeout-and-guest-eject": [0] + object_add(4, 512) + device_add(4, 4) + [0] +
        linux_hot_add() + [7, 4] + [8, 1] + write(SEL, 0) + write(CMD, EJECT) +
        write(OST_EV, EV_OSPM) + write(OST_ST, ST_OK) + [10],
    }
    os.makedirs(OUT, exist_ok=True)
    for name, prog in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes(prog))
    return 0


if __name__ == "__main__":
    sys.exit(main())
