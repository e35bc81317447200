/*
 * Where a shootdown's time goes (issue 17): while a sender waits for its
 * IPI targets to acknowledge, it watches their steal-time PREEMPTED bytes,
 * so every wait is charged to the state of the target that acknowledged
 * last: running all along, or seen preempted (the target took the IPI but
 * lost its pCPU before handling it, or was preempted when it arrived).
 */
#ifndef GUEST_TLBWAIT_H
#define GUEST_TLBWAIT_H

#include <stddef.h>
#include <stdint.h>

struct tlb_wait_stats {
    uint64_t waits;                 /* shootdowns that waited for an ack */
    uint64_t slow_running;          /* the last target to ack was never seen preempted */
    uint64_t slow_preempted;        /* ... was seen PREEMPTED while we waited */
    uint64_t slow_running_cycles;   /* those waits, summed (TSC) */
    uint64_t slow_preempted_cycles;
    uint64_t slow_running_max;      /* the longest of each */
    uint64_t slow_preempted_max;
    uint64_t late_preempted;        /* IPI'd targets seen PREEMPTED before acking */
};

/* One wait in progress (on the sender's stack). */
struct tlb_wait {
    uint64_t t0;
    uint64_t pending;               /* as last seen */
    uint64_t preempted_seen;        /* targets seen PREEMPTED so far */
};

void tlbwait_begin(struct tlb_wait *w, uint64_t mask);
/* Each spin of the wait loop, with the targets still pending. */
void tlbwait_poll(struct tlb_wait *w, uint64_t pending);
/* pending reached 0: charge the wait. */
void tlbwait_end(struct tlb_wait *w, struct tlb_wait_stats *st);
void tlbwait_add(struct tlb_wait_stats *a, const struct tlb_wait_stats *b);
/* ",\"waits\":...": the fields for a tlb_vcpu/tlb_vm record; its length. */
int tlbwait_json(char *buf, size_t n, const struct tlb_wait_stats *s);

#endif
