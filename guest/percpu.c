/*
 * The per-vCPU stacks (slot 0 is vCPU0's boot stack, see boot32.asm).
 */
#include "percpu.h"

uint8_t guest_stacks[PV_MAX_VCPUS][GUEST_STACK_SIZE]
    __attribute__((aligned(PAGE_SIZE)));
