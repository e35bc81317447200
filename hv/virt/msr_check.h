/*
 * The one check on MSR values a guest writes to the MSRs the backends hold,
 * so that a value is refused (#GP) for the same reasons on SVM and VMX.
 * Header-only so the host unit tests can run it.
 */
#ifndef HV_MSR_CHECK_H
#define HV_MSR_CHECK_H

#include <stdint.h>

#include "../core/x86.h"

#define CANONICAL_SHIFT  47    /* 48-bit virtual addresses */
#define PAT_ENTRIES      8
#define PAT_TYPE_MAX     7     /* UC-; types 2 and 3 are reserved */
#define MSR_HIGH_HALF    0xFFFFFFFF00000000ull
#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

static inline int msr_canonical(uint64_t a)
{
    int64_t s = (int64_t)a >> CANONICAL_SHIFT;
    return s == 0 || s == -1;
}

static inline int msr_pat_valid(uint64_t pat)
{
    for (int i = 0; i < PAT_ENTRIES; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t == 2 || t == 3 || t > PAT_TYPE_MAX)
            return 0;
    }
    return 1;
}

/*
 * May the guest write val to msr? STAR holds selectors and a 32-bit entry
 * point (Linux writes 0x0023001000000000), so any value goes; IA32_FMASK
 * and SYSENTER_CS have reserved bits 63:32 (the VMCS field is 32 bits);
 * EFER only its guest-writable bits; PAT only defined memory types; every
 * other backend-held MSR is an address and must be canonical. MSRs the
 * backends do not hold pass here and are refused by the backend.
 */
static inline int msr_guest_value_ok(uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_STAR:
        return 1;
    case MSR_SFMASK:
    case MSR_SYSENTER_CS:
        return !(val & MSR_HIGH_HALF);
    case MSR_EFER:
        return !(val & ~EFER_GUEST_WRITABLE);
    case MSR_PAT:
        return msr_pat_valid(val);
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        return msr_canonical(val);
    default:
        return 1;
    }
}

/*
 * EFER.LME may change only while paging is off (SDM vol. 3A 9.8.5, APM
 * vol. 2 14.6.1: #GP otherwise). With CR0.PG = 1 a new LME would no longer
 * match LMA, a state both VMX and SVM entry refuse.
 */
static inline int msr_efer_change_ok(uint64_t old, uint64_t val, uint64_t cr0)
{
    return !(cr0 & CR0_PG) || !((old ^ val) & EFER_LME);
}

#endif
