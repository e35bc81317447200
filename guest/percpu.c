/*
 * The per-vCPU data: stacks (slot 0 is vCPU0's boot stack, see boot32.asm)
 * and the queue nodes of the mcs/qspin/pvqspin locks (lockplat.c hands them
 * to libpv), PV_QNODES_PER_CPU per vCPU, vCPU c's at [c * PV_QNODES_PER_CPU].
 */
#include "percpu.h"

uint8_t guest_stacks[PV_MAX_VCPUS][GUEST_STACK_SIZE]
    __attribute__((aligned(PAGE_SIZE)));

struct pv_lock_qnode guest_qnodes[PV_MAX_VCPUS * PV_QNODES_PER_CPU];
