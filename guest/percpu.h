/*
 * Per-vCPU identity. Each vCPU runs on its own slot of guest_stacks and never
 * switches stacks (interrupts included), so its id is its RSP's slot index:
 * no GS base MSR, nothing the hypervisor has to emulate.
 */
#ifndef GUEST_PERCPU_H
#define GUEST_PERCPU_H

#include <stdint.h>
#include "arch.h"
#include "lock.h"
#include "pv_abi.h"

extern uint8_t guest_stacks[PV_MAX_VCPUS][GUEST_STACK_SIZE];
extern struct pv_lock_qnode guest_qnodes[PV_MAX_VCPUS * PV_QNODES_PER_CPU];
_Static_assert(PV_MAX_VCPUS <= PV_LOCK_MAX_CPUS, "every vCPU can lock");

static inline unsigned this_cpu(void)
{
    uintptr_t sp;
    __asm__("mov %%rsp, %0" : "=r"(sp));
    return (unsigned)((sp - (uintptr_t)guest_stacks) / GUEST_STACK_SIZE);
}

/* Initial RSP for vCPU id: the top of its slot. */
static inline uint64_t percpu_stack_top(unsigned id)
{
    return (uint64_t)(uintptr_t)&guest_stacks[id][GUEST_STACK_SIZE];
}

#endif
