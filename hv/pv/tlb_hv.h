/*
 * tlb=hv: the FLUSH_TLB hypercall (libpv/pv_abi.h PV_HC_FLUSH_TLB) and the
 * flush each target does before its next entry (see tlb_hv.c).
 */
#ifndef HV_TLB_HV_H
#define HV_TLB_HV_H

#include <stdint.h>

struct vcpu;

/* PV_HC_FLUSH_TLB from v: -PV_EINVAL for a mask beyond the VM's vCPUs or
   a flag; else, once every target is sure to flush before it next runs
   guest code, the number of targets that had no flush pending. */
int64_t tlb_hv_flush(struct vcpu *v, uint64_t mask, uint64_t flags);
/* The run loop, with run_seq odd, just before v enters: a flush asked for
   v is handed to the backend (it flushes at this entry). */
void tlb_hv_before_entry(struct vcpu *v);

#endif
