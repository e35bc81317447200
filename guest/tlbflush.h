/*
 * Remote TLB shootdown (DESIGN §6). native: IPI every target (PV_HC_SEND_IPI)
 * and wait until each has flushed and acknowledged. pv: first leave every
 * preempted target to the hypervisor (FLUSH_TLB on its steal-time byte, see
 * libpv/tlbmask.h), then IPI and wait for the rest, handing over any that is
 * preempted while we wait. hv: one PV_HC_FLUSH_TLB hypercall, no IPI.
 */
#ifndef GUEST_TLBFLUSH_H
#define GUEST_TLBFLUSH_H

#include <stdint.h>

#include "tlbwait.h"

enum tlb_mode { TLB_NATIVE, TLB_PV, TLB_HV };

/* What one sender's shootdowns did (summed over its calls). */
struct tlb_flush_stats {
    uint64_t shootdowns;
    uint64_t ipis_sent;         /* targets interrupted */
    uint64_t targets_skipped;   /* targets left to the hypervisor */
    uint64_t handed_over;       /* IPI'd, then seen PREEMPTED while we waited
                                   and left to the hypervisor (pv) */
    uint64_t deferred_flushes;  /* of skipped + handed_over, FLUSH_TLB newly
                                   set by us */
    uint64_t hv_targets;        /* hv: targets named in PV_HC_FLUSH_TLB */
    uint64_t hv_flushes;        /* of those, without a flush pending yet */
    struct tlb_wait_stats wait; /* whom the waits were for (tlbwait.h) */
};

/* vCPU0, before the other vCPUs start: installs the flush IPI handler. */
void tlbflush_init(void);
/* The mode flush_tlb_others will really use for asked: pv needs steal time
   and PV_TLB_FLUSH; without them it says so on the console (once) and
   answers native. */
enum tlb_mode tlbflush_mode(enum tlb_mode asked);
const char *tlbflush_mode_name(enum tlb_mode m);
/* Every vCPU in mask (never the caller: its bit is ignored) drops its
   translations for [start, end) before this returns, or, in pv mode, before
   it next runs (pv, hv). Call with interrupts enabled: while waiting, this vCPU
   serves other senders' requests. Ends the VM if a target never answers. */
void flush_tlb_others(uint64_t mask, uintptr_t start, uintptr_t end,
                      enum tlb_mode mode, struct tlb_flush_stats *st);
/* The calling vCPU drops its translations for [start, end) (all of them
   if the range is empty or long). */
void tlb_flush_local(uintptr_t start, uintptr_t end);
/* Flush IPIs cpu has handled. */
uint64_t tlbflush_irqs(unsigned cpu);
/* Times other vCPUs set FLUSH_TLB on cpu's byte (flushes it got deferred). */
uint64_t tlbflush_deferred_received(unsigned cpu);
/* vCPU0, while no shootdown is in flight: zeroes both counters above. */
void tlbflush_reset_counters(void);

#endif
