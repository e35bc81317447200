/*
 * Hypercall wrappers (pv_abi.h): VMMCALL on AMD, VMCALL on Intel, picked once
 * from the CPUID vendor. Only call them when env.pv is set: natively
 * hypercall4 executes nothing, counts the attempt and returns -PV_ENOSYS.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdint.h>
#include "pv_abi.h"

/* Picks the instruction; call once on vCPU0 before any hypercall. */
void hypercall_init(void);
long hypercall4(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                uint64_t a3);

/* For a loop that times the exit path (task=hcall): the call without the
   shared counter, which every vCPU would write; only when env.pv is set.
   The caller adds its calls with hypercalls_account afterwards. */
long hypercall4_uncounted(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                          uint64_t a3);
void hypercalls_account(uint64_t n);

/* Hypercalls executed so far (all vCPUs), and native attempts refused. */
uint64_t hypercalls_issued(void);
uint64_t hypercalls_refused(void);

static inline long hc_kick_cpu(unsigned apic_id)
{
    return hypercall4(PV_HC_KICK_CPU, 0, apic_id, 0, 0);
}

#endif
