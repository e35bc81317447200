/*
 * hv/pv as hv/virt sees it: one ops table, registered by hv/main.c, so the
 * exit handlers and the run loop reach the pv layer without naming it.
 */
#include "pv.h"

#include "hypercall.h"
#include "lockinfo.h"
#include "steal.h"
#include "tlb_hv.h"

/* Taken off while runnable: count lock-holder/waiter preemptions from the
   guest's lockinfo page, then mark the steal-time area preempted. */
static void vcpu_preempted(struct vcpu *v)
{
    lockinfo_on_preempt(v);
    steal_on_preempt(v);
}

const struct virt_pv_ops pv_kvm_ops = {
    .hypercall = handle_hypercall,
    .features = pv_features,
    .steal_msr_read = steal_msr_read,
    .steal_msr_write = steal_msr_write,
    .vcpu_load = steal_on_enter,
    .vcpu_entry = tlb_hv_before_entry,
    .vcpu_preempted = vcpu_preempted,
    .vcpu_holds_lock = lockinfo_holds_lock,
};
