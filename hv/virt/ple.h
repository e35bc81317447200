/*
 * The per-vCPU pause-loop window (KVM's grow/shrink rules): grown on each
 * pause-loop exit, shrunk when the vCPU is scheduled in. Only where the
 * hardware detects loops (VMX PLE, SVM pause filter).
 */
#ifndef HV_PLE_H
#define HV_PLE_H

struct vcpu;

void ple_window_grow(struct vcpu *v);
void ple_window_shrink(struct vcpu *v);

#endif
