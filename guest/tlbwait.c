/*
 * The shootdown wait, observed from the sender (see tlbwait.h). Reading a
 * pending target's PREEMPTED byte on every spin costs a few loads; it is
 * what tells "the target was slow" from "the target was not running".
 */
#include "tlbwait.h"

#include "cpu.h"
#include "fmt.h"
#include "steal.h"

static int preempted(unsigned cpu)
{
    uint8_t *b = steal_preempted_byte(cpu);
    return b && (__atomic_load_n(b, __ATOMIC_ACQUIRE) & PV_VCPU_PREEMPTED);
}

void tlbwait_begin(struct tlb_wait *w, uint64_t mask)
{
    w->t0 = rdtsc();
    w->pending = mask;
    w->preempted_seen = 0;
}

void tlbwait_poll(struct tlb_wait *w, uint64_t pending)
{
    for (uint64_t m = pending & ~w->preempted_seen; m; m &= m - 1) {
        unsigned cpu = (unsigned)__builtin_ctzll(m);
        if (preempted(cpu))
            w->preempted_seen |= 1ull << cpu;
    }
    w->pending = pending;
}

void tlbwait_end(struct tlb_wait *w, struct tlb_wait_stats *st)
{
    uint64_t took = rdtsc() - w->t0;
    uint64_t last = w->pending;     /* the targets still pending at the last poll */

    st->waits++;
    for (uint64_t m = w->preempted_seen; m; m &= m - 1)   /* no popcount in freestanding */
        st->late_preempted++;
    if (last & w->preempted_seen) {
        st->slow_preempted++;
        st->slow_preempted_cycles += took;
        if (took > st->slow_preempted_max)
            st->slow_preempted_max = took;
    } else {
        st->slow_running++;
        st->slow_running_cycles += took;
        if (took > st->slow_running_max)
            st->slow_running_max = took;
    }
}

void tlbwait_add(struct tlb_wait_stats *a, const struct tlb_wait_stats *b)
{
    a->waits += b->waits;
    a->slow_running += b->slow_running;
    a->slow_preempted += b->slow_preempted;
    a->slow_running_cycles += b->slow_running_cycles;
    a->slow_preempted_cycles += b->slow_preempted_cycles;
    a->slow_running_max = b->slow_running_max > a->slow_running_max
                          ? b->slow_running_max : a->slow_running_max;
    a->slow_preempted_max = b->slow_preempted_max > a->slow_preempted_max
                            ? b->slow_preempted_max : a->slow_preempted_max;
    a->late_preempted += b->late_preempted;
}

int tlbwait_json(char *buf, size_t n, const struct tlb_wait_stats *s)
{
    return pv_snprintf(buf, n, ",\"waits\":%lu,\"slow_running\":%lu,\"slow_preempted\":%lu,"
                       "\"slow_running_cycles\":%lu,\"slow_preempted_cycles\":%lu,"
                       "\"slow_running_max\":%lu,\"slow_preempted_max\":%lu,"
                       "\"late_preempted\":%lu",
                       s->waits, s->slow_running, s->slow_preempted, s->slow_running_cycles,
                       s->slow_preempted_cycles, s->slow_running_max, s->slow_preempted_max,
                       s->late_preempted);
}
