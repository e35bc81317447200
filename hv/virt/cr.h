/*
 * The CR4 bits a guest may set on this CPU (hv/virt/cr.c); the rules for
 * CR0/CR4 writes are hv/virt/cr_check.h.
 */
#ifndef HV_CR_H
#define HV_CR_H

#include <stdint.h>

#include "cr_check.h"

/* From the host's CPUID, computed once; never VMXE or SMXE. */
uint64_t cr4_supported(void);

#endif
