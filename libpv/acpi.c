/*
 * Finds the RSDP (from the loader or by the BIOS-area scan the ACPI spec
 * describes), walks the RSDT/XSDT to the MADT and collects processor
 * entries. Checksums are verified: a corrupt table is an error, not a guess.
 * Lives in libpv because the natively booted guest lists its CPUs the same
 * way the hypervisor does.
 */
#include "acpi.h"

#include "fmt.h"
#include "pvstring.h"

#define EBDA_SEGMENT_PTR    0x40E
#define EBDA_SCAN_BYTES     1024
#define BIOS_ROM_START      0xE0000
#define BIOS_ROM_END        0x100000
#define RSDP_ALIGN          16
#define RSDP_V1_LEN         20
#define MADT_TYPE_LAPIC     0
#define MADT_TYPE_X2APIC    9
#define MADT_LAPIC_ENABLED  (1u << 0)
#define MADT_LAPIC_ONLINE_CAPABLE (1u << 1)

struct rsdp {
    char sig[8];
    uint8_t checksum;
    char oem[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __attribute__((packed));

struct sdt_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct madt {
    struct sdt_header h;
    uint32_t lapic_addr, flags;
} __attribute__((packed));

struct madt_lapic {
    uint8_t type, length, acpi_id, apic_id;
    uint32_t flags;
} __attribute__((packed));

static acpi_map_fn cur_map;

/* Every table access goes through here; the length is checked by the
   caller's map, so a table the caller cannot reach is an error, not a read
   of unmapped memory. */
static const void *at(uint64_t pa, uint64_t len)
{
    return cur_map ? cur_map(pa, len) : (const void *)(uintptr_t)pa;
}

static int sum_ok(const void *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + ((const uint8_t *)p)[i]);
    return s == 0;
}

static const struct rsdp *rsdp_at(uint64_t pa)
{
    const struct rsdp *r = at(pa, RSDP_V1_LEN);
    if (r && !memcmp(r->sig, "RSD PTR ", 8) && sum_ok(r, RSDP_V1_LEN))
        return r;
    return 0;
}

static const struct rsdp *scan(uint64_t start, uint64_t end)
{
    for (uint64_t p = start; p + sizeof(struct rsdp) <= end; p += RSDP_ALIGN) {
        const struct rsdp *r = rsdp_at(p);
        if (r)
            return r;
    }
    return 0;
}

static const struct rsdp *find_rsdp(uint64_t hint)
{
    const struct rsdp *r = hint ? rsdp_at(hint) : 0;
    if (r)
        return r;
    const uint16_t *seg = at(EBDA_SEGMENT_PTR, sizeof(*seg));
    uint64_t ebda = seg ? (uint64_t)*seg << 4 : 0;
    r = ebda ? scan(ebda, ebda + EBDA_SCAN_BYTES) : 0;
    return r ? r : scan(BIOS_ROM_START, BIOS_ROM_END);
}

/* A whole table with a good checksum, or NULL. */
static const struct sdt_header *table_at(uint64_t pa)
{
    const struct sdt_header *h = at(pa, sizeof(*h));
    if (!h || h->length < sizeof(*h))
        return 0;
    h = at(pa, h->length);
    return h && sum_ok(h, h->length) ? h : 0;
}

static const struct madt *find_madt(const struct rsdp *r)
{
    int wide = r->revision >= 2 && r->xsdt;
    const struct sdt_header *root = table_at(wide ? r->xsdt : r->rsdt);
    if (!root)
        return 0;
    unsigned entry = wide ? 8 : 4;
    unsigned n = (root->length - sizeof(*root)) / entry;
    const uint8_t *ptrs = (const uint8_t *)(root + 1);
    for (unsigned i = 0; i < n; i++) {
        uint64_t pa = 0;
        memcpy(&pa, ptrs + i * entry, entry);
        const struct sdt_header *h = table_at(pa);
        if (h && !memcmp(h->sig, "APIC", 4) && h->length >= sizeof(struct madt))
            return (const void *)h;
    }
    return 0;
}

int acpi_find_cpus(uint64_t rsdp_hint, acpi_map_fn map, uint32_t *apic_ids,
                   unsigned max, char *err, unsigned errlen)
{
    cur_map = map;
    const struct rsdp *r = find_rsdp(rsdp_hint);
    if (!r) {
        pv_snprintf(err, errlen, "no ACPI RSDP found (loader tag, EBDA, BIOS ROM)");
        return -1;
    }
    const struct madt *m = find_madt(r);
    if (!m) {
        pv_snprintf(err, errlen, "no valid ACPI MADT (APIC table) found");
        return -1;
    }
    unsigned n = 0;
    const uint8_t *p = (const uint8_t *)(m + 1), *end = (const uint8_t *)m + m->h.length;
    while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
        if (p[0] == MADT_TYPE_LAPIC && p[1] >= sizeof(struct madt_lapic)) {
            const struct madt_lapic *l = (const void *)p;
            if (l->flags & MADT_LAPIC_ENABLED) {
                if (n >= max) {
                    pv_snprintf(err, errlen, "more than %u CPUs in the MADT", max);
                    return -1;
                }
                apic_ids[n++] = l->apic_id;
            }
        }
        p += p[1];
    }
    if (!n) {
        pv_snprintf(err, errlen, "the MADT lists no enabled processor");
        return -1;
    }
    return (int)n;
}
