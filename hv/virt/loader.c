/*
 * ELF64 loading into guest-physical memory. The module comes from the boot
 * loader, so every header field is checked against the module's size and the
 * VM's memory before a byte is copied.
 */
#include "loader.h"

#include "fmt.h"
#include "pv_abi.h"
#include "pvstring.h"
#include "vm.h"
#include "../core/time.h"
#include "../core/x86.h"

#define EI_NIDENT     16
#define ELFCLASS64    2
#define ELFDATA2LSB   1
#define ET_EXEC       2
#define EM_X86_64     62
#define PT_LOAD       1
#define GUEST_LOW_RESERVED 0x1000ull     /* GPA 0 page stays unused */
#define ENTRY_LIMIT   (1ull << 32)       /* vCPU0 starts in 32-bit mode */

struct elf64_ehdr {
    unsigned char ident[EI_NIDENT];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int bad(char *err, unsigned n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *err, unsigned n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pv_vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

int loader_load_guest(struct vm *vm, const void *elf, uint64_t size,
                      const char *cmdline, char *err, unsigned errlen)
{
    const struct elf64_ehdr *eh = elf;
    uint8_t *mem = (uint8_t *)(uintptr_t)vm->mem_hpa;
    uint64_t top = 0;
    int entry_ok = 0;

    if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4))
        return bad(err, errlen, "guest module is not an ELF file (%lu bytes)", size);
    if (eh->ident[4] != ELFCLASS64 || eh->ident[5] != ELFDATA2LSB ||
        eh->type != ET_EXEC || eh->machine != EM_X86_64)
        return bad(err, errlen, "guest module is not an x86-64 ELF64 executable");
    if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > size ||
        (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
        return bad(err, errlen, "guest ELF program headers lie outside the module");

    const struct elf64_phdr *ph = (const void *)((const uint8_t *)elf + eh->phoff);
    for (unsigned i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->type != PT_LOAD || !p->memsz)
            continue;
        if (p->filesz > p->memsz || p->offset > size || p->filesz > size - p->offset)
            return bad(err, errlen, "guest ELF segment %u has bad sizes", i);
        if (p->paddr < GUEST_LOW_RESERVED || p->paddr > vm->mem_bytes ||
            p->memsz > vm->mem_bytes - p->paddr)
            return bad(err, errlen,
                       "guest ELF segment %u [0x%lx, +0x%lx) does not fit in mem=%luM",
                       i, p->paddr, p->memsz, vm->mem_bytes >> 20);
        memcpy(mem + p->paddr, (const uint8_t *)elf + p->offset, p->filesz);
        memset(mem + p->paddr + p->filesz, 0, p->memsz - p->filesz);
        if (p->paddr + p->memsz > top)
            top = p->paddr + p->memsz;
        if (eh->entry >= p->paddr && eh->entry < p->paddr + p->memsz)
            entry_ok = 1;
    }
    if (!entry_ok || eh->entry >= ENTRY_LIMIT)
        return bad(err, errlen, "guest ELF entry 0x%lx is not inside a loaded segment below 4 GiB",
                   eh->entry);

    uint64_t info_gpa = (top + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (info_gpa + PAGE_SIZE > vm->mem_bytes)
        return bad(err, errlen, "no room for the boot-info page above the guest image");
    _Static_assert(sizeof(struct pv_boot_info) <= PAGE_SIZE, "boot info fits a page");
    struct pv_boot_info *bi = (void *)(mem + info_gpa);
    memset(bi, 0, PAGE_SIZE);
    bi->magic = PV_BOOT_INFO_MAGIC;
    bi->version = PV_BOOT_INFO_VERSION;
    bi->vm_id = vm->id;
    bi->nr_vcpus = vm->nr_vcpus;
    bi->mem_bytes = vm->mem_bytes;
    bi->tsc_hz = tsc_hz;
    bi->seed = vm->seed;
    bi->free_start = info_gpa + PAGE_SIZE;
    if (pv_snprintf(bi->cmdline, sizeof(bi->cmdline), "%s", cmdline) >= PV_CMDLINE_MAX)
        return bad(err, errlen, "the guest command line is longer than %u bytes",
                   PV_CMDLINE_MAX - 1);
    vm->entry = eh->entry;
    vm->boot_info_gpa = info_gpa;
    return 0;
}
