/*
 * See tlbmask.h. The CAS is on the byte alone (like Linux's
 * try_cmpxchg(&src->preempted, ...)): the hypervisor swaps the same byte to
 * 0 on entry, so exactly one side wins each race.
 */
#include "tlbmask.h"
#include "pv_abi.h"

struct pv_tlb_defer pv_tlb_defer_preempted(uint8_t *const preempted[],
                                           unsigned nr, uint64_t mask)
{
    struct pv_tlb_defer r = { .ipi_mask = mask };

    if (nr > PV_TLB_MAX_CPUS)
        nr = PV_TLB_MAX_CPUS;
    for (unsigned cpu = 0; cpu < nr; cpu++) {
        uint64_t bit = 1ull << cpu;
        uint8_t state;

        if (!(mask & bit) || !preempted[cpu])
            continue;
        state = __atomic_load_n(preempted[cpu], __ATOMIC_ACQUIRE);
        if (!(state & PV_VCPU_PREEMPTED))
            continue;
        if (!__atomic_compare_exchange_n(preempted[cpu], &state,
                                         (uint8_t)(state | PV_VCPU_FLUSH_TLB),
                                         0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            continue;
        r.ipi_mask &= ~bit;
        r.skipped_mask |= bit;
        r.skipped++;
        if (!(state & PV_VCPU_FLUSH_TLB)) {
            r.deferred_mask |= bit;
            r.deferred++;
        }
    }
    return r;
}
