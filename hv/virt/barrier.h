/*
 * Side-channel barriers between VMs (barrier.c).
 */
#ifndef HV_VIRT_BARRIER_H
#define HV_VIRT_BARRIER_H

#include <stdint.h>

struct percpu;
struct vm;

/* After a successful backend probe: which barriers this CPU offers (they
   join the run record's virt_features). */
void vm_barrier_probe(void);
/* v's VM comes onto cpu: the barriers, if another VM ran there last. */
void vm_barrier_switch(struct percpu *cpu, struct vm *vm);
/* Per pCPU: how many times another VM followed (what the barriers cost). */
uint64_t vm_barrier_switches(unsigned pcpu);

#endif
