#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_bzimage (tests/fuzz/corpus/fuzz_bzimage/): a tiny
vmlinux (an x86-64 ELF with two loadable segments, one with bss) as it is, and inside
minimal bzImages whose payload is that ELF compressed with gzip (level 6 and stored),
LZ4 legacy, zstd and xz, each with the decompressed size appended as the kernel's build
does (not for gzip). Needs the zstd and lz4 programs. Run by hand; the output is
committed."""
import gzip
import lzma
import os
import struct
import subprocess
import sys

LOAD = 0x1000000
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_bzimage")


def vmlinux():
    phdrs = [
        # type, flags, offset, vaddr, paddr, filesz, memsz, align
        (1, 5, 0x200, 0xffffffff81000000, LOAD, 0x100, 0x100, 0x200000),
        (4, 4, 0x300, 0xffffffff81200000, LOAD + 0x200000, 0x20, 0x20, 4),
        (1, 6, 0x300, 0xffffffff81200000, LOAD + 0x200000, 0x80, 0x1000, 0x200000),
    ]
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, LOAD, 64, 0, 0, 64, 56,
                               len(phdrs), 0, 0, 0)
    image = bytearray(0x3c0)
    image[:64] = ehdr
    for i, p in enumerate(phdrs):
        image[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack("<IIQQQQQQ", *p)
    for i in range(0x200, 0x380):
        image[i] = (i * 37 + 11) & 0xff
    return bytes(image)


def tool(args, data):
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout


def bzimage(payload):
    setup_sects = 4
    kernel_offset = (setup_sects + 1) * 512
    rel = 0x20
    f = bytearray(max(0x1000, kernel_offset + rel + len(payload)))
    f[0x1f1] = setup_sects
    f[0x1fe:0x200] = b"\x55\xaa"
    f[0x201] = 0x66
    f[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", f, 0x206, 0x020f)
    struct.pack_into("<I", f, 0x22c, 0x7fffffff)
    struct.pack_into("<I", f, 0x230, 0x200000)
    struct.pack_into("<H", f, 0x236, 0x3)
    struct.pack_into("<I", f, 0x238, 0x7ff)
    struct.pack_into("<II", f, 0x248, rel, len(payload))
    struct.pack_into("<Q", f, 0x258, LOAD)
    struct.pack_into("<I", f, 0x260, 0x400000)
    f[kernel_offset + rel:kernel_offset + rel + len(payload)] = payload
    return bytes(f)


def main():
    elf = vmlinux()
    size = struct.pack("<I", len(elf))
    seeds = {
        "vmlinux.elf": elf,
        "gzip.bzimage": bzimage(gzip.compress(elf, 6, mtime=0)),
        "gzip-stored.bzimage": bzimage(gzip.compress(elf, 0, mtime=0)),
        "lz4.bzimage": bzimage(tool(["lz4", "-l", "-9", "-c"], elf) + size),
        "zstd.bzimage": bzimage(tool(["zstd", "-19", "-c", "--no-check"], elf) + size),
        "xz.bzimage": bzimage(lzma.compress(elf, lzma.FORMAT_XZ, lzma.CHECK_CRC32) + size),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
