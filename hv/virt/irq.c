/*
 * Pending-vector bitmap per vCPU and its delivery. Setting the bit happens
 * before the target is woken or poked (sched_notify), so the run loop's
 * re-check after clearing `notify` can never miss it. Exceptions for the
 * guest go through here too (virt_inject_exception).
 */
#include "irq.h"

#include "vcpu.h"
#include "../core/x86.h"
#include "../sched/sched.h"

#define BITS 64

void vcpu_raise_irq(struct vcpu *v, uint8_t vector)
{
    __atomic_fetch_or(&v->irq_pending[vector / BITS], 1ull << (vector % BITS),
                      __ATOMIC_SEQ_CST);
    sched_notify(&v->se, 0);
}

int vcpu_irq_pending(const struct vcpu *v)
{
    for (int i = 0; i < IRQ_WORDS; i++)
        if (__atomic_load_n(&v->irq_pending[i], __ATOMIC_ACQUIRE))
            return 1;
    return 0;
}

static int take_highest(struct vcpu *v)
{
    for (int i = IRQ_WORDS - 1; i >= 0; i--) {
        uint64_t w = __atomic_load_n(&v->irq_pending[i], __ATOMIC_ACQUIRE);
        if (!w)
            continue;
        int bit = 63 - __builtin_clzll(w);
        __atomic_fetch_and(&v->irq_pending[i], ~(1ull << bit), __ATOMIC_SEQ_CST);
        return i * BITS + bit;
    }
    return -1;
}

void virt_deliver_events(struct vcpu *v)
{
    if (!vcpu_irq_pending(v)) {
        if (v->irq_window_requested) {
            virt->request_irq_window(v, 0);
            v->irq_window_requested = 0;
        }
        return;
    }
    int open = virt->irq_window_open(v);
    if (!open && virt->complete_shadowed_hlt)
        open = virt->complete_shadowed_hlt(v);
    if (open) {
        int vec = take_highest(v);
        if (vec >= 0) {
            virt->inject_irq(v, (uint8_t)vec);
            v->stats.irqs_injected++;
        }
    }
    int want = vcpu_irq_pending(v);
    if (want != v->irq_window_requested) {
        virt->request_irq_window(v, want);
        v->irq_window_requested = want;
    }
}

void virt_inject_exception(struct vcpu *v, uint8_t vector, int has_error, uint32_t error)
{
#ifndef PVHV_MUTANT_rmode_error_code   /* planted bug: make test-mutants */
    if (!(virt->read_cr(v, 0) & CR0_PE))
        has_error = 0;
#endif
    virt->inject_exception(v, vector, has_error, has_error ? error : 0);
}
