/*
 * Checks on MSR values a guest writes, shared by both backends so that a
 * value is refused (#GP) for the same reasons on SVM and VMX.
 */
#ifndef HV_MSR_CHECK_H
#define HV_MSR_CHECK_H

#include <stdint.h>

#define CANONICAL_SHIFT  47    /* 48-bit virtual addresses */
#define PAT_ENTRIES      8
#define PAT_TYPE_MAX     7     /* UC-; types 2 and 3 are reserved */

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

#endif
