/*
 * The scheduling trace (trace=on): every pCPU records what it does to vCPUs
 * (in/out with the TSC and why it left, kicks, lock-holder and waiter
 * preemptions) into its own bounded buffer, lock-free, and the report prints
 * the buffers at the end as @pvhv "trace" records that tools/pvhv_trace.py turns
 * into a timeline. A full buffer drops further events and counts them.
 */
#ifndef HV_TRACE_H
#define HV_TRACE_H

#include <stdint.h>

struct cfg;

/* Event types; their names (trace_info record) are in trace.c. */
enum trace_type {
    TR_IN = 0,      /* vCPU put on this pCPU */
    TR_OUT,         /* vCPU taken off; arg = enum trace_out */
    TR_KICK,        /* vCPU sent a PV kick; arg = target vCPU id */
    TR_LHP,         /* preempted while holding arg locks */
    TR_WPRE,        /* preempted while waiting for a lock */
    TR_IPI_WAIT,    /* SEND_IPI to a vCPU not running; arg = its id | state << 16 */
    TR_TYPES
};

/* Why a vCPU left its pCPU (TR_OUT's arg). */
enum trace_out {
    TR_OUT_PREEMPT = 0, /* slice over, still runnable */
    TR_OUT_YIELD,       /* gave the pCPU up (PLE, SCHED_YIELD), runnable */
    TR_OUT_BLOCK,       /* HLT */
    TR_OUT_STOP,        /* its VM ended */
    TR_OUT_REASONS
};


extern int trace_enabled;

/* Allocates the per-pCPU buffers if cfg says trace=on. 0, or -1 (printed)
   when the memory is not there. */
int trace_init(const struct cfg *cfg);
/* One event on the calling pCPU's buffer, about vCPU vcpu of VM vm. */
void trace_record(enum trace_type type, unsigned vm, unsigned vcpu, uint32_t arg);
static inline void trace(enum trace_type type, unsigned vm, unsigned vcpu, uint32_t arg)
{
    if (trace_enabled)
        trace_record(type, vm, vcpu, arg);
}
/* The trace_info, trace and trace_pcpu records (end of run, BSP). */
void trace_report(void);

#endif
