#include "arch/x86/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "arch/x86/bzimage.h"
#include "exit_status.h"
#include "arch/x86/kernel_elf.h"
#include "kernel_unpack.h"
#include "arch/x86/e820.h"
#include "arch/x86/platform.h"
#include "trace.h"
#include "util.h"

/* struct boot_params offsets (Documentation/x86/zero-page.rst). */
#define ZP_ACPI_RSDP_ADDR   0x070
#define ZP_EXT_RAMDISK_IMG  0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES     0x1e8
#define ZP_VID_MODE         0x1fa
#define ZP_TYPE_OF_LOADER   0x210
#define ZP_RAMDISK_IMAGE    0x218
#define ZP_RAMDISK_SIZE     0x21c
#define ZP_CMD_LINE_PTR     0x228
#define ZP_E820_TABLE       0x2d0
#define ZP_E820_MAX         128

struct mapped_file {
	uint8_t *data;
	size_t size;
};

static int map_file(const char *path, const char *what, struct mapped_file *f, char *err,
		    size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	f->data = NULL;
	f->size = 0;
	if (fd < 0) {
		pv_format(err, errlen, "%s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pv_format(err, errlen, "%s '%s': not a regular file", what, path);
		close(fd);
		return -1;
	}
	f->size = (size_t)st.st_size;
	if (f->size) {
		f->data = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (f->data == MAP_FAILED) {
			pv_format(err, errlen, "%s '%s': %s", what, path, strerror(errno));
			f->data = NULL;
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

static void unmap_file(struct mapped_file *f)
{
	if (f->data)
		munmap(f->data, f->size);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

int boot_check_kernel(const char *path, char *err, size_t errlen)
{
	struct mapped_file f;
	struct bzimage bz;
	char why[200];
	int ret;

	if (map_file(path, "-kernel", &f, err, errlen) < 0)
		return -1;
	ret = bzimage_parse(f.data, f.size, &bz, why, sizeof(why));
	if (ret < 0)
		pv_format(err, errlen, "-kernel '%s': %s", path, why);
	unmap_file(&f);
	return ret;
}

/* Identity map of the first 4 GiB with 2 MiB pages: it covers the kernel, the zero page,
 * the command line and the initrd, which is all that either startup_64 (decompressor or
 * kernel proper) needs before it builds its own tables. */
static int write_page_tables(const struct boot_ram *ram)
{
	uint64_t *pml4 = boot_ram_hva(ram, BOOT_PML4_GPA, 4096);
	uint64_t *pdpt = boot_ram_hva(ram, BOOT_PDPT_GPA, 4096);
	uint64_t *pd = boot_ram_hva(ram, BOOT_PD_GPA, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -1;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_GPA | 0x3; /* present, writable */
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_GPA + i * 4096) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83; /* present, writable, 2 MiB page */
	return 0;
}

/*
 * A hardware-reduced ACPI guest without EFI ends a reboot in Linux's
 * real-mode "BIOS" restart: it jumps to the reset vector F000:FFF0
 * (reboot_init() picks EFI for HW-reduced machines, and efi_reboot()
 * falls through to BOOT_BIOS). plugvm has no BIOS, so the reset vector
 * holds a stub that writes the FADT reset value to 0xCF9, which ends
 * the VM like any other reset.
 */
static int write_reset_stub(const struct boot_ram *ram)
{
	static const uint8_t stub[] = {
		0xb0, 0x06,       /* mov al, 0x06 */
		0xba, 0xf9, 0x0c, /* mov dx, 0x0cf9 */
		0xee,             /* out dx, al */
		0xf4,             /* hlt */
		0xeb, 0xfd,       /* jmp back to hlt */
	};
	uint8_t *dst = boot_ram_hva(ram, RESET_VECTOR_GPA, sizeof(stub));

	if (!dst)
		return -1;
	memcpy(dst, stub, sizeof(stub));
	return 0;
}

static int write_gdt(const struct boot_ram *ram)
{
	uint64_t *gdt = boot_ram_hva(ram, BOOT_GDT_GPA, 4 * 8);

	if (!gdt)
		return -1;
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL; /* 0x10: 64-bit code */
	gdt[3] = 0x00cf93000000ffffULL; /* 0x18: data */
	return 0;
}

/* The initrd goes as high as the kernel allows, below the 32-bit hole and
 * clear of the kernel's decompression area. */
static int place_initrd(const struct boot_request *req, const struct bzimage *bz, size_t size,
			uint64_t *gpa, char *err, size_t errlen)
{
	uint64_t top = req->layout->low_ram_end;
	uint64_t kernel_end = KERNEL_LOAD_GPA + bz->init_size;
	uint64_t addr;

	if ((uint64_t)bz->initrd_addr_max + 1 < top)
		top = (uint64_t)bz->initrd_addr_max + 1;
	if (size > top) {
		pv_format(err, errlen, "-initrd '%s' (%zu MiB) does not fit below %llu MiB of RAM",
			  req->initrd_path, size >> 20, (unsigned long long)(top >> 20));
		return -1;
	}
	addr = align_down(top - size, 4096);
	if (addr < kernel_end) {
		pv_format(err, errlen,
			  "-initrd '%s' (%zu MiB) does not fit in RAM beside the kernel: use a larger -m",
			  req->initrd_path, size >> 20);
		return -1;
	}
	*gpa = addr;
	return 0;
}

static int write_zero_page(const struct boot_request *req, const struct bzimage *bz,
			   uint64_t initrd_gpa, uint64_t initrd_size)
{
	uint8_t *zp = boot_ram_hva(req->ram, BOOT_ZERO_PAGE_GPA, 4096);
	struct e820_entry e820[ZP_E820_MAX];
	unsigned n;

	if (!zp)
		return -1;
	memset(zp, 0, 4096);
	memcpy(zp + BZ_SETUP_HEADER_OFFSET, bz->file + BZ_SETUP_HEADER_OFFSET,
	       bz->setup_header_end - BZ_SETUP_HEADER_OFFSET);
	zp[ZP_TYPE_OF_LOADER] = 0xff;
	zp[ZP_VID_MODE] = 0xff;
	zp[ZP_VID_MODE + 1] = 0xff;
	put32(zp + ZP_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_GPA);
	put32(zp + ZP_EXT_CMD_LINE_PTR, 0);
	put32(zp + ZP_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
	put32(zp + ZP_RAMDISK_SIZE, (uint32_t)initrd_size);
	put32(zp + ZP_EXT_RAMDISK_IMG, (uint32_t)(initrd_gpa >> 32));
	put32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));
	put64(zp + ZP_ACPI_RSDP_ADDR, req->rsdp_gpa);

	n = e820_build(req->layout, req->acpi_tables_size, e820, ZP_E820_MAX);
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	memcpy(zp + ZP_E820_TABLE, e820, n * sizeof(e820[0]));
	return 0;
}

/* Generous bound on a decompressed kernel (Debian's is ~53 MB): a corrupt payload must not
 * make plugvm decompress forever. */
#define KERNEL_UNPACK_MAX (1ULL << 30)
#define BZIMAGE_ENTRY_64 0x200 /* the decompressor's 64-bit entry, from the load address */

static int elf_sink(void *ctx, const uint8_t *data, size_t len, char *err, size_t errlen)
{
	return kernel_elf_write(ctx, data, len, err, errlen);
}

/* The payload's compression when plugvm can unpack it and the kernel wants to run at
 * plugvm's load address; KERNEL_PAYLOAD_UNKNOWN leaves the work to the guest. */
static enum kernel_payload_format host_unpack_format(const struct boot_request *req,
						     const struct bzimage *bz)
{
	if (!req->unpack_on_host || !bz->payload_length || bz->pref_address != KERNEL_LOAD_GPA)
		return KERNEL_PAYLOAD_UNKNOWN;
	return kernel_payload_detect(bz->file + bz->payload_offset, bz->payload_length);
}

/* The kernel proper, decompressed here, placed segment by segment (Firecracker and
 * cloud-hypervisor boot an ELF vmlinux the same way). The guest skips copying and
 * decompressing itself; it also skips KASLR, which is the decompressor's work. */
static int unpack_kernel(const struct boot_request *req, const struct bzimage *bz,
			 enum kernel_payload_format format, uint64_t *entry, char *err,
			 size_t errlen)
{
	struct kernel_elf *elf = malloc(sizeof(*elf));
	int ret;

	if (!elf) {
		pv_format(err, errlen, "out of memory");
		return -ENOMEM;
	}
	kernel_elf_init(elf, req->ram, KERNEL_LOAD_GPA, KERNEL_LOAD_GPA + bz->init_size);
	ret = kernel_payload_unpack(format, bz->file + bz->payload_offset, bz->payload_length,
				    KERNEL_UNPACK_MAX, elf_sink, elf, err, errlen);
	if (ret == 0)
		ret = kernel_elf_finish(elf, entry, err, errlen);
	if (ret == 0)
		pv_trace("boot kernel-unpacked %s %llu bytes entry 0x%llx",
			 kernel_payload_name(format), (unsigned long long)elf->received,
			 (unsigned long long)*entry);
	free(elf);
	return ret;
}

int boot_load_linux(const struct boot_request *req, struct boot_result *res, char *err,
		    size_t errlen)
{
	enum kernel_payload_format format;
	struct mapped_file kernel, initrd = { 0 };
	struct bzimage bz;
	uint64_t initrd_gpa = 0;
	size_t cmdline_len = strlen(req->cmdline);
	char why[200];
	uint8_t *dst;
	/* Most failures are the -kernel, -initrd, -append or -m given. */
	int status = EXIT_BAD_USAGE, ret;

	if (map_file(req->kernel_path, "-kernel", &kernel, err, errlen) < 0)
		return EXIT_BAD_USAGE;
	if (bzimage_parse(kernel.data, kernel.size, &bz, why, sizeof(why)) < 0) {
		pv_format(err, errlen, "-kernel '%s': %s", req->kernel_path, why);
		goto out;
	}
	if (KERNEL_LOAD_GPA + bz.init_size > req->layout->low_ram_end) {
		pv_format(err, errlen, "-kernel '%s' needs %u MiB above 16 MiB: use a larger -m",
			  req->kernel_path, bz.init_size >> 20);
		goto out;
	}
	if (cmdline_len > bz.cmdline_size || cmdline_len >= BOOT_CMDLINE_MAX) {
		pv_format(err, errlen, "-append: command line is %zu bytes, the kernel takes %u",
			  cmdline_len, bz.cmdline_size);
		goto out;
	}
	format = host_unpack_format(req, &bz);
	res->unpacked = format != KERNEL_PAYLOAD_UNKNOWN;
	if (res->unpacked) {
		ret = unpack_kernel(req, &bz, format, &res->entry_gpa, why, sizeof(why));
		if (ret < 0) {
			pv_format(err, errlen, "-kernel '%s': %s", req->kernel_path, why);
			if (ret == -ENOMEM) /* plugvm's, not the kernel file's */
				status = EXIT_VMM_FAILURE;
			goto out;
		}
	} else {
		dst = boot_ram_hva(req->ram, KERNEL_LOAD_GPA, bz.kernel_size);
		if (!dst) {
			pv_format(err, errlen, "-kernel '%s' does not fit in boot RAM",
				  req->kernel_path);
			goto out;
		}
		memcpy(dst, kernel.data + bz.kernel_offset, bz.kernel_size);
		res->entry_gpa = KERNEL_LOAD_GPA + BZIMAGE_ENTRY_64;
	}

	if (req->initrd_path) {
		if (map_file(req->initrd_path, "-initrd", &initrd, err, errlen) < 0)
			goto out;
		if (place_initrd(req, &bz, initrd.size, &initrd_gpa, err, errlen) < 0)
			goto out;
		dst = boot_ram_hva(req->ram, initrd_gpa, initrd.size);
		if (!dst) {
			pv_format(err, errlen, "-initrd '%s': no contiguous RAM for it",
				  req->initrd_path);
			goto out;
		}
		memcpy(dst, initrd.data, initrd.size);
	}

	dst = boot_ram_hva(req->ram, BOOT_CMDLINE_GPA, cmdline_len + 1);
	if (!dst || write_page_tables(req->ram) < 0 || write_gdt(req->ram) < 0 ||
	    write_reset_stub(req->ram) < 0 ||
	    write_zero_page(req, &bz, initrd_gpa, initrd.size) < 0) {
		/* Every layout maps the first MiB (docs/memory.md): plugvm's own failure. */
		pv_format(err, errlen, "boot RAM below 1 MiB is not mapped");
		status = EXIT_VMM_FAILURE;
		goto out;
	}
	memcpy(dst, req->cmdline, cmdline_len + 1);
	status = 0;
out:
	unmap_file(&initrd);
	unmap_file(&kernel);
	return status;
}

static void set_segment(struct kvm_segment *s, uint16_t selector, int code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = code ? 0xb : 0x3; /* execute/read accessed, or read/write accessed */
	s->present = 1;
	s->dpl = 0;
	s->db = code ? 0 : 1;
	s->s = 1;
	s->l = code ? 1 : 0;
	s->g = 1;
}

int boot_setup_bsp(int vcpu_fd, uint64_t entry_gpa, char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		pv_format(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	set_segment(&sregs.cs, 0x10, 1);
	set_segment(&sregs.ds, 0x18, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = BOOT_GDT_GPA;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr3 = BOOT_PML4_GPA;
	sregs.cr4 = 0x20;                               /* PAE */
	sregs.cr0 = 0x80000001 | 0x10 | 0x20;           /* PG, PE, ET, NE */
	sregs.efer = 0x500;                             /* LME, LMA */
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0) {
		pv_format(err, errlen, "KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = entry_gpa; /* a startup_64: the decompressor's or the kernel proper's */
	regs.rsi = BOOT_ZERO_PAGE_GPA;
	regs.rsp = BOOT_ZERO_PAGE_GPA; /* any mapped address: the kernel sets its own stack */
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		pv_format(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;    /* the x87 state after FNINIT */
	fpu.mxcsr = 0x1f80; /* SSE exceptions masked, as after reset */
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0) {
		pv_format(err, errlen, "KVM_SET_FPU: %s", strerror(errno));
		return -1;
	}
	return 0;
}
