/*
 * Per-pCPU data, reached through GS base so interrupt handlers and the
 * scheduler find "their" CPU without a lookup.
 */
#ifndef HV_PERCPU_H
#define HV_PERCPU_H

#include <stdint.h>

#include "layout.h"

struct vcpu;

struct percpu {
    struct percpu *self;          /* gs:0, for this_cpu() */
    uint32_t index;               /* 0 = BSP */
    uint32_t apic_id;
    uint64_t stack_top;
    volatile int online;
    struct vcpu *current;         /* vCPU being run, or NULL */
    volatile int need_resched;    /* set by the slice timer */
    void *backend;                /* the backend's per-pCPU state */
    /* statistics */
    uint64_t idle_cycles;
    uint64_t busy_cycles;
    uint64_t vmruns;
    uint64_t timer_irqs;
    uint64_t wake_irqs;
    uint64_t leaked_db;           /* guest single-step traps taken here (Bochs ryzen) */
    uint64_t nmis;                /* host NMIs taken (hv/core/nmi.c) */
    uint64_t nmis_sent;           /* nmi_test=on: NMIs pCPU 0 sent here */
};

extern struct percpu percpus[MAX_PCPUS];
extern unsigned nr_pcpus;

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

void percpu_install(struct percpu *p);  /* sets GS base */

#endif
