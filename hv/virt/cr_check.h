/*
 * The architectural rules for a guest's write to CR0 or CR4 (MOV, CLTS,
 * LMSW), once for both backends: SVM intercepts every such write and VMX
 * the ones that touch a bit it owns, and each emulates a write only if
 * these rules let the CPU do it; otherwise the guest gets #GP. A value the
 * CPU would refuse must never reach the VMCB or VMCS: VMRUN or VM entry
 * then fails and the VM dies for what is, on hardware, the guest's own
 * #GP (SDM vol. 3A 2.5, 4.1.1; APM vol. 2 3.1.1, 3.1.3, 15.5.1).
 * Header-only so the host unit tests can run it.
 */
#ifndef HV_CR_CHECK_H
#define HV_CR_CHECK_H

#include <stdint.h>

#include "../core/x86.h"

#define CR0_EM              (1ull << 2)
#define CR0_TS              (1ull << 3)
#define CR0_AM              (1ull << 18)
#define CR0_NW              (1ull << 29)
#define CR0_CD              (1ull << 30)
/* Bits 31:0 that mean something; a MOV ignores the others (KVM too). */
#define CR0_DEFINED         (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | \
                             CR0_AM | CR0_NW | CR0_CD | CR0_PG)
#define CR0_LMSW_BITS       (CR0_PE | CR0_MP | CR0_EM | CR0_TS)   /* LMSW's reach */
#define CR_HIGH_HALF        0xFFFFFFFF00000000ull                 /* reserved, #GP */
/* Changes the guest's translations: its TLB is flushed at the next entry. */
#define CR0_TLB_BITS        (CR0_PE | CR0_WP | CR0_CD | CR0_PG)

#define CR4_VME             (1ull << 0)
#define CR4_PVI             (1ull << 1)
#define CR4_TSD             (1ull << 2)
#define CR4_DE              (1ull << 3)
#define CR4_PSE             (1ull << 4)
#define CR4_MCE             (1ull << 6)
#define CR4_PGE             (1ull << 7)
#define CR4_PCE             (1ull << 8)
#define CR4_UMIP            (1ull << 11)
#define CR4_LA57            (1ull << 12)
#define CR4_FSGSBASE        (1ull << 16)
#define CR4_PCIDE           (1ull << 17)
#define CR4_SMEP            (1ull << 20)
#define CR4_SMAP            (1ull << 21)
#define CR4_PKE             (1ull << 22)
#define CR4_CET             (1ull << 23)
#define CR4_TLB_BITS        (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP)
#define CR3_PCID_MASK       0xFFFull

/* What the rules look at: the guest's own view of its state. */
struct cr_state {
    uint64_t cr0, cr3, cr4, efer;
    int cs_long;            /* CS.L in IA-32e mode: 64-bit code */
};

/*
 * A write of val to CR0. Returns 0 with the CR0 the guest then has and its
 * EFER (LMA follows CR0.PG while LME is set, as the CPU does it; the
 * backend applies both), or -1 for #GP.
 */
static inline int cr0_write_check(const struct cr_state *s, uint64_t val, uint64_t *cr0,
                                  uint64_t *efer)
{
    if (val & CR_HIGH_HALF)
        return -1;
    val = (val & CR0_DEFINED) | CR0_ET;   /* ET is fixed 1 since the 486 */
    if ((val & CR0_PG) && !(val & CR0_PE))
        return -1;
    if ((val & CR0_NW) && !(val & CR0_CD))
        return -1;
    if (!(val & CR0_WP) && (s->cr4 & CR4_CET))
        return -1;
    uint64_t e = s->efer;
    if (!(s->cr0 & CR0_PG) && (val & CR0_PG) && (e & EFER_LME)) {
        if (!(s->cr4 & CR4_PAE))
            return -1;
        e |= EFER_LMA;
    } else if ((s->cr0 & CR0_PG) && !(val & CR0_PG)) {
        if (s->cr4 & CR4_PCIDE)
            return -1;
        if (e & EFER_LMA) {
            if (s->cs_long)
                return -1;   /* paging cannot be turned off in 64-bit code */
            e &= ~EFER_LMA;
        }
    }
    *cr0 = val;
    *efer = e;
    return 0;
}

/* LMSW loads CR0 bits 3:0 from its operand but never clears PE. */
static inline uint64_t cr0_after_lmsw(uint64_t cr0, uint16_t operand)
{
    uint64_t low = operand & CR0_LMSW_BITS;
    return (cr0 & ~(CR0_LMSW_BITS & ~CR0_PE)) | low | (cr0 & CR0_PE);
}

/*
 * A write of val to CR4, where supported holds the bits this CPU has and
 * the guest may set (cr4_supported). 0 if the CPU takes it, -1 for #GP.
 */
static inline int cr4_write_check(const struct cr_state *s, uint64_t val, uint64_t supported)
{
    int lma = (s->efer & EFER_LMA) != 0;

    if (val & ~supported)
        return -1;
    if (lma && !(val & CR4_PAE))
        return -1;
    if (lma && ((val ^ s->cr4) & CR4_LA57))
        return -1;
    if ((val & CR4_PCIDE) && !(s->cr4 & CR4_PCIDE) && (!lma || (s->cr3 & CR3_PCID_MASK)))
        return -1;
    if ((val & CR4_CET) && !(s->cr0 & CR0_WP))
        return -1;
    return 0;
}

#endif
