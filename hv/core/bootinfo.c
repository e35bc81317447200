/*
 * Multiboot1 (QEMU -kernel) and multiboot2 (GRUB) parsing. Field offsets are
 * the specifications'; only what pvhv uses is read.
 */
#include "bootinfo.h"

#include "fmt.h"
#include "pvstring.h"

#define MB1_LOADER_MAGIC    0x2BADB002u
#define MB2_LOADER_MAGIC    0x36D76289u
#define MB1_INFO_CMDLINE    (1u << 2)
#define MB1_INFO_MODS       (1u << 3)
#define MB1_INFO_MMAP       (1u << 6)
#define MB2_TAG_END         0
#define MB2_TAG_CMDLINE     1
#define MB2_TAG_MODULE      3
#define MB2_TAG_MMAP        6
#define MB2_TAG_ACPI_OLD    14
#define MB2_TAG_ACPI_NEW    15
#define MB2_TAG_ALIGN       8
#define MEM_TYPE_AVAILABLE  1

struct mb1_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb1_module {
    uint32_t start, end, string, reserved;
} __attribute__((packed));

struct mb1_mmap {
    uint32_t size;
    uint64_t base, length;
    uint32_t type;
} __attribute__((packed));

struct mb2_tag {
    uint32_t type, size;
} __attribute__((packed));

struct mb2_module {
    struct mb2_tag tag;
    uint32_t start, end;
    char string[];
} __attribute__((packed));

struct mb2_mmap {
    struct mb2_tag tag;
    uint32_t entry_size, entry_version;
} __attribute__((packed));

struct mb2_mmap_entry {
    uint64_t base, length;
    uint32_t type, reserved;
} __attribute__((packed));

static void copy_str(char *dst, unsigned n, const char *src, int *truncated)
{
    unsigned i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = src[i];
    dst[i] = '\0';
    if (src[i] && truncated)
        *truncated = 1;
}

/* Multiboot1 loaders (QEMU -kernel, GRUB's multiboot) put the kernel's path
   first; a first word without '=' is that path, not a setting. */
static void drop_kernel_path(char *cmdline)
{
    char *p = cmdline;
    while (*p && *p != ' ' && *p != '=')
        p++;
    if (*p == '=')
        return;
    while (*p == ' ')
        p++;
    memmove(cmdline, p, strlen(p) + 1);
}

static void add_region(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
    if (type != MEM_TYPE_AVAILABLE || bi->nr_usable >= BOOT_MAX_REGIONS)
        return;
    bi->usable[bi->nr_usable++] = (struct mem_region){ base, base + len };
}

static void add_module(struct boot_info *bi, uint64_t start, uint64_t end, const char *name)
{
    if (bi->nr_modules >= BOOT_MAX_MODULES) {
        bi->modules_dropped++;
        return;
    }
    struct boot_module *m = &bi->modules[bi->nr_modules++];
    m->start = start;
    m->end = end;
    copy_str(m->name, sizeof(m->name), name ? name : "", 0);
}

static void parse_mb1(const struct mb1_info *mi, struct boot_info *bi)
{
    bi->loader = "multiboot1";
    bi->info_start = (uint64_t)(uintptr_t)mi;
    bi->info_end = bi->info_start + sizeof(*mi);
    if (mi->flags & MB1_INFO_CMDLINE)
        copy_str(bi->cmdline, sizeof(bi->cmdline),
                 (const char *)(uintptr_t)mi->cmdline, &bi->cmdline_truncated);
    drop_kernel_path(bi->cmdline);
    if (mi->flags & MB1_INFO_MODS) {
        const struct mb1_module *mods = (const void *)(uintptr_t)mi->mods_addr;
        for (uint32_t i = 0; i < mi->mods_count; i++)
            add_module(bi, mods[i].start, mods[i].end,
                       (const char *)(uintptr_t)mods[i].string);
    }
    if (mi->flags & MB1_INFO_MMAP) {
        uint64_t p = mi->mmap_addr, end = p + mi->mmap_length;
        while (p < end) {
            const struct mb1_mmap *e = (const void *)(uintptr_t)p;
            add_region(bi, e->base, e->length, e->type);
            p += e->size + sizeof(e->size);
        }
    }
}

static void parse_mb2(uint64_t info, struct boot_info *bi)
{
    uint32_t total = *(const uint32_t *)(uintptr_t)info;
    bi->loader = "multiboot2";
    bi->info_start = info;
    bi->info_end = info + total;
    uint64_t p = info + MB2_TAG_ALIGN;
    while (p < info + total) {
        const struct mb2_tag *t = (const void *)(uintptr_t)p;
        if (t->type == MB2_TAG_END)
            break;
        if (t->type == MB2_TAG_CMDLINE) {
            copy_str(bi->cmdline, sizeof(bi->cmdline), (const char *)(t + 1),
                     &bi->cmdline_truncated);
        } else if (t->type == MB2_TAG_MODULE) {
            const struct mb2_module *m = (const void *)t;
            add_module(bi, m->start, m->end, m->string);
        } else if (t->type == MB2_TAG_MMAP) {
            const struct mb2_mmap *m = (const void *)t;
            for (uint64_t e = p + sizeof(*m); e + m->entry_size <= p + t->size;
                 e += m->entry_size) {
                const struct mb2_mmap_entry *me = (const void *)(uintptr_t)e;
                add_region(bi, me->base, me->length, me->type);
            }
        } else if (t->type == MB2_TAG_ACPI_OLD || t->type == MB2_TAG_ACPI_NEW) {
            if (!bi->rsdp || t->type == MB2_TAG_ACPI_NEW)
                bi->rsdp = p + sizeof(*t);
        }
        p += (t->size + MB2_TAG_ALIGN - 1) & ~(uint64_t)(MB2_TAG_ALIGN - 1);
    }
}

int bootinfo_parse(uint32_t magic, uint64_t info, struct boot_info *bi,
                   char *err, unsigned errlen)
{
    memset(bi, 0, sizeof(*bi));
    if (magic == MB1_LOADER_MAGIC) {
        parse_mb1((const struct mb1_info *)(uintptr_t)info, bi);
    } else if (magic == MB2_LOADER_MAGIC) {
        parse_mb2(info, bi);
    } else {
        pv_snprintf(err, errlen,
                    "unknown boot loader magic 0x%x (need multiboot1 0x%x or multiboot2 0x%x)",
                    magic, MB1_LOADER_MAGIC, MB2_LOADER_MAGIC);
        return -1;
    }
    return 0;
}
