/*
 * The pv remote TLB flush's target choice (DESIGN §6), as Linux's
 * kvm_flush_tlb_multi does it: a target whose steal-time byte says PREEMPTED
 * is not interrupted; FLUSH_TLB is set on its byte with a compare-and-swap
 * instead, and the hypervisor flushes its TLB before it runs again. Pure
 * code over an array of byte pointers, so the host unit tests drive it.
 */
#ifndef PVHV_TLBMASK_H
#define PVHV_TLBMASK_H

#include <stdint.h>

#define PV_TLB_MAX_CPUS 64 /* one bit per vCPU in a uint64_t mask */

struct pv_tlb_defer {
    uint64_t ipi_mask;      /* targets that still need an IPI */
    uint64_t skipped_mask;  /* targets left to the hypervisor */
    unsigned skipped;       /* popcount of skipped_mask */
    /* Of the skipped, those whose FLUSH_TLB this call set (it was clear):
       exactly the flushes-on-entry the hypervisor will do because of us.
       A target whose flag another sender already set is skipped but not
       counted, so guest and hypervisor sums can be compared. */
    uint64_t deferred_mask;
    unsigned deferred;
};

/*
 * mask: bit i = vCPU i must flush. preempted[i]: vCPU i's steal-time
 * .preempted byte, or NULL when vCPU i has none (then it is always IPI'd);
 * bits at or above nr are left in ipi_mask untouched. One CAS attempt per
 * target, no retry: a byte that changed under us (the vCPU was resumed, or
 * another sender got there first) means "IPI it", which is always safe.
 */
struct pv_tlb_defer pv_tlb_defer_preempted(uint8_t *const preempted[],
                                           unsigned nr, uint64_t mask);

#endif
