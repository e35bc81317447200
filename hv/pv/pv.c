/*
 * hv/pv as hv/virt sees it: one ops table, registered by hv/main.c, so the
 * exit handlers and the run loop reach the pv layer without naming it.
 */
#include "pv.h"

#include "hypercall.h"
#include "steal.h"

const struct virt_pv_ops pv_kvm_ops = {
    .hypercall = handle_hypercall,
    .features = pv_features,
    .steal_msr_read = steal_msr_read,
    .steal_msr_write = steal_msr_write,
    .vcpu_load = steal_on_enter,
    .vcpu_preempted = steal_on_preempt,
};
