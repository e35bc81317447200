/*
 * The KVM-compatible pv layer's registration with hv/virt.
 */
#ifndef HV_PV_H
#define HV_PV_H

#include "../virt/exit.h"

extern const struct virt_pv_ops pv_kvm_ops;

#endif
