/*
 * Storage for the per-pCPU blocks and the GS-base hook-up.
 */
#include "percpu.h"

#include "x86.h"

struct percpu percpus[MAX_PCPUS];
unsigned nr_pcpus;

void percpu_install(struct percpu *p)
{
    p->self = p;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
}
