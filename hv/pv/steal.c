/*
 * Steal time: the per-vCPU 64-byte area lives in guest memory; the guest
 * names it with a WRMSR whose value is validated here (64-byte aligned,
 * reserved bits clear, entirely inside the VM's RAM), never trusted later.
 */
#include "steal.h"

#include "pv_abi.h"
#include "../core/time.h"
#include "../virt/virt.h"
#include "../virt/vcpu.h"
#include "../virt/vm.h"

#define STEAL_MSR_RESERVED (PV_STEAL_TIME_ALIGN - 1 - PV_STEAL_TIME_ENABLE)

static struct pv_steal_time *area(const struct vcpu *v)
{
    if (!(v->steal_msr & PV_STEAL_TIME_ENABLE))
        return 0;
    return vm_gpa_to_hva(v->vm, v->steal_msr & ~(uint64_t)(PV_STEAL_TIME_ALIGN - 1),
                         sizeof(struct pv_steal_time));
}

int steal_msr_write(struct vcpu *v, uint64_t val)
{
    uint64_t gpa = val & ~(uint64_t)(PV_STEAL_TIME_ALIGN - 1);
    if (val & STEAL_MSR_RESERVED)
        return -1;
    if ((val & PV_STEAL_TIME_ENABLE) &&
        !vm_gpa_to_hva(v->vm, gpa, sizeof(struct pv_steal_time)))
        return -1;
    v->steal_msr = val;
    steal_on_enter(v);   /* publish the current value at once */
    return 0;
}

uint64_t steal_msr_read(const struct vcpu *v) { return v->steal_msr; }

void steal_on_enter(struct vcpu *v)
{
    struct pv_steal_time *st = area(v);
    if (!st)
        return;
    /* Seqcount: odd while the value is being changed. */
    uint32_t odd = __atomic_load_n(&st->version, __ATOMIC_RELAXED) | 1;
    __atomic_store_n(&st->version, odd, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#ifndef PVHV_MUTANT_lose_steal_update   /* planted bug: make test-mutants */
    st->steal = cycles_to_ns(v->se.stats.state_cycles[VCPU_RUNNABLE]);
#endif
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&st->version, odd + 1, __ATOMIC_RELEASE);

    uint8_t prev = __atomic_exchange_n(&st->preempted, 0, __ATOMIC_SEQ_CST);
    if (prev & PV_VCPU_FLUSH_TLB) {
#ifndef PVHV_MUTANT_skip_entry_flush    /* planted bug: make test-mutants */
        virt->request_tlb_flush(v);
#endif
        v->stats.tlb_flushes_on_entry++;
    }
}

void steal_on_preempt(struct vcpu *v)
{
    struct pv_steal_time *st = area(v);
    if (st)
        __atomic_store_n(&st->preempted, PV_VCPU_PREEMPTED, __ATOMIC_SEQ_CST);
}
