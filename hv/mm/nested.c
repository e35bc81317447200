/*
 * The shared nested-table walker: allocate intermediate tables on demand and
 * write 2 MiB leaves. Guest RAM is one contiguous 2 MiB-aligned run, so no
 * 4 KiB level is ever needed.
 */
#include "nested.h"

#include "page.h"
#include "../core/x86.h"

#define ENTRIES        512
#define ADDR_MASK      0x000FFFFFFFFFF000ull
#define LEVEL_SHIFT(l) (12 + 9 * (l))

static uint64_t *next_table(uint64_t *table, unsigned idx, const struct nested_format *f)
{
    if (!(table[idx] & f->table_bits)) {
        uint64_t *t = page_alloc_zeroed();
        table[idx] = ((uint64_t)(uintptr_t)t & ADDR_MASK) | f->table_bits;
    }
    return (uint64_t *)(uintptr_t)(table[idx] & ADDR_MASK);
}

int nested_map_2m(void **root, const struct nested_format *f, uint64_t gpa,
                  uint64_t hpa, uint64_t len)
{
    if ((gpa | hpa | len) & (PAGE_2M - 1))
        return -1;
    if (!*root)
        *root = page_alloc_zeroed();
    for (uint64_t off = 0; off < len; off += PAGE_2M) {
        uint64_t g = gpa + off;
        uint64_t *pml4 = *root;
        uint64_t *pdpt = next_table(pml4, (g >> LEVEL_SHIFT(3)) % ENTRIES, f);
        uint64_t *pd = next_table(pdpt, (g >> LEVEL_SHIFT(2)) % ENTRIES, f);
        pd[(g >> LEVEL_SHIFT(1)) % ENTRIES] = ((hpa + off) & ADDR_MASK) | f->leaf_2m_bits;
    }
    return 0;
}
