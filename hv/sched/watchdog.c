/*
 * The deadlock watchdog (issue 13 item 8). A VM whose started vCPUs are
 * all blocked with nothing that could wake one - no kick latched, no
 * interrupt one can take; pvhv gives guests no timer, and only a VM's own
 * running vCPUs kick or interrupt it - can never run again, so it is
 * killed at once instead of at timeout=. A vCPU that stays blocked while
 * its wake-up is pending is a lost wake-up: sched_notify wakes it right
 * after the latch or vector is set, so seeing one for long is a
 * pvhv bug, and it is reported as one.
 */
#include "watchdog.h"

#include "port.h"
#include "pvstring.h"

/* Clock of the first check that saw each entity blocked with a wake-up
   pending, 0 if the last check did not. */
static uint64_t pending_since[SCHED_MAX_GROUPS][SCHED_GROUP_MAX];

void sched_watchdog_reset(void)
{
    memset(pending_since, 0, sizeof(pending_since));
}

enum sched_wd_verdict sched_watchdog_check(struct sched_group *g, uint64_t lost_after,
                                           struct sched_wd_report *r)
{
    int (*wakeable)(struct sched_entity *) = sched_params()->irq_wakeable;
    enum sched_wd_verdict v = SCHED_WD_OK;
    unsigned blocked = 0, pending = 0, live = 0;

    if (g->id >= SCHED_MAX_GROUPS)
        return SCHED_WD_OK;
    uint64_t *since = pending_since[g->id];
    /* No lock (it runs on every HLT): the view is consistent if no member
       changed state while we looked (g->gen). A claim to WAKING does not
       count one, but only a running sibling or a pending flag makes one,
       and both are seen. A VM whose states keep changing is alive. */
    unsigned gen = __atomic_load_n(&g->gen, __ATOMIC_SEQ_CST);
    uint64_t now = sched_port_now();
    for (unsigned i = 0; i < g->nr && !g->finished; i++) {
        struct sched_entity *e = g->members[i];
        int kicked = __atomic_load_n(&e->kicked, __ATOMIC_ACQUIRE);
        enum vcpu_state st = __atomic_load_n(&e->state, __ATOMIC_SEQ_CST);
        if (st == VCPU_RUNNING || st == VCPU_RUNNABLE || st == VCPU_WAKING)
            live++;
        if (st != VCPU_BLOCKED || !(kicked || wakeable(e))) {
            since[i] = 0;
            blocked += st == VCPU_BLOCKED;
            continue;
        }
        blocked++;
        pending++;
        if (!since[i])
            since[i] = now ? now : 1;
        else if (now - since[i] > lost_after && v == SCHED_WD_OK) {
            v = SCHED_WD_LOST_WAKEUP;
            *r = (struct sched_wd_report){ i, kicked, now - since[i] };
        }
    }
    if (__atomic_load_n(&g->gen, __ATOMIC_SEQ_CST) != gen)
        return SCHED_WD_OK;
    if (v == SCHED_WD_OK && !g->finished && !live && !pending && blocked) {
        v = SCHED_WD_DEADLOCK;
        *r = (struct sched_wd_report){ blocked, 0, 0 };
    }
    return v;
}
