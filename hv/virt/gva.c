/*
 * A four-level guest page walk (long mode) plus the paging-off case, read-
 * only and bounds-checked against the VM's memory at every level.
 */
#include "gva.h"

#include "vm.h"
#include "../core/x86.h"

#define PTE_PRESENT   (1ull << 0)
#define PTE_LARGE     (1ull << 7)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define LEVELS        4
#define LEVEL_BITS    9
#define LEVEL_MASK    ((1ull << LEVEL_BITS) - 1)

int gva_to_gpa(struct vm *vm, const struct guest_paging *p, uint64_t gva, uint64_t *gpa)
{
    if (!(p->cr0 & CR0_PG)) {
        *gpa = gva & 0xFFFFFFFFull;
        return 0;
    }
    /* IA-32e paging is CR0.PG with EFER.LME (and CR4.PAE, which LME
       needs): that is what LMA means. Bochs' AMD models leave LMA clear
       in the VMCB while the guest runs compatibility-mode code (EFER
       0x1100 with CR0.PG, CR4.PAE, CS.L 0, on the way out of long mode:
       guest/lowmode.asm), so LMA alone would refuse a walk the CPU does. */
    int ia32e = (p->efer & EFER_LMA) || ((p->efer & EFER_LME) && (p->cr4 & CR4_PAE));
    if (!ia32e)
        return -1;
    uint64_t table = p->cr3 & PTE_ADDR_MASK;
    for (int level = LEVELS - 1; level >= 0; level--) {
        unsigned shift = PAGE_SHIFT + LEVEL_BITS * (unsigned)level;
        const uint64_t *e = vm_gpa_to_hva(vm, table + ((gva >> shift) & LEVEL_MASK) * 8, 8);
        if (!e || !(*e & PTE_PRESENT))
            return -1;
        if (level == 0 || ((*e & PTE_LARGE) && level <= 2)) {
            uint64_t page_mask = (1ull << shift) - 1;
            *gpa = (*e & PTE_ADDR_MASK & ~page_mask) | (gva & page_mask);
            return 0;
        }
        table = *e & PTE_ADDR_MASK;
    }
    return -1;
}

int guest_read_byte(struct vm *vm, const struct guest_paging *p, uint64_t gva, uint8_t *out)
{
    uint64_t gpa;
    const uint8_t *b;
    if (gva_to_gpa(vm, p, gva, &gpa) || !(b = vm_gpa_to_hva(vm, gpa, 1)))
        return -1;
    *out = *b;
    return 0;
}
