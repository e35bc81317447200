/*
 * The hypercall handler and the pv feature bits the guest sees in CPUID
 * (registered with hv/virt through struct virt_pv_ops, hv/pv/pv.c).
 */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <stdint.h>

#include "../virt/exit.h"

enum exit_action handle_hypercall(struct vcpu *v, struct vexit *e);
uint32_t pv_features(void);

#endif
