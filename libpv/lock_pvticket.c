/*
 * Paravirtual ticket lock. Spinning on a ticket whose owner (or whose turn)
 * belongs to a preempted vCPU wastes the whole time slice, so after a bounded
 * spin a waiter publishes what it waits for and halts; the unlocker kicks
 * exactly the vCPU whose turn has come.
 *
 * Tickets advance by TICKET_LOCK_INC (2), leaving bit 0 of the tail free for
 * the slow-path flag: "somebody may be halted on this lock, unlockers must
 * look". The flag is sticky while the lock is contended and cleared only by
 * an unlock that leaves head == tail (nobody holds or waits for a ticket),
 * with a cmpxchg so a ticket taken meanwhile cancels the clearing. The
 * protocol is model-checked in tests/model/pvticket.pml.
 */
#include <stdbool.h>
#include <stddef.h>

#include "lock_impl.h"

#define TICKET_LOCK_INC 2u
#define SLOWPATH_FLAG   1u          /* bit 0 of the tail half */
#define SLOWPATH_BIT    (SLOWPATH_FLAG << PV_TICKET_SHIFT)
#define CACHE_LINE      64
#define PREEMPT_CHECK_EVERY 64      /* spins between holder checks */

/* What one CPU is halted on. Written only by its CPU, read by unlockers. */
struct wait_slot {
    pv_spinlock_t *lock;            /* NULL: not waiting */
    uint16_t want;                  /* the ticket that will wake it */
} __attribute__((aligned(CACHE_LINE)));

static struct wait_slot wait_slots[PV_LOCK_MAX_CPUS];

static uint16_t ticket_of(uint16_t tail)
{
    return (uint16_t)(tail & ~SLOWPATH_FLAG);
}

static bool served(pv_spinlock_t *lock, uint16_t me)
{
    return pv_ticket_head(__atomic_load_n(&lock->val, __ATOMIC_ACQUIRE)) == me;
}

/*
 * Publish, flag, re-check, halt. Returns true if we own the lock. Interrupts
 * stay off from publishing the slot until it is cleared, so an interrupt
 * handler on this CPU cannot overwrite the slot with a wait of its own, and
 * so a kick's wake-up cannot be consumed by anything but our halt.
 */
static bool slow_wait(pv_spinlock_t *lock, uint16_t me)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;
    struct pv_lock_cpu_stats *st = pv_lock_my_stats();
    struct wait_slot *w = &wait_slots[plat->cpu_id()];
    unsigned long flags = plat->irq_save();
    bool got;

    st->slow_path++;
    /* want first: an unlocker that sees our lock pointer sees our ticket. */
    __atomic_store_n(&w->want, me, __ATOMIC_RELAXED);
    __atomic_store_n(&w->lock, lock, __ATOMIC_RELEASE);
    /* Full barrier (lock or): the slot is visible to any unlocker that sees
       the flag, and the re-check below cannot be done before the flag is
       set. Either the unlock that serves us comes after this (it sees the
       flag and kicks us) or before (we see our ticket served now). */
    __atomic_fetch_or(&lock->val, SLOWPATH_BIT, __ATOMIC_SEQ_CST);
    got = served(lock, me);
    if (!got) {
        st->halts++;
        plat->halt();               /* returns at once if kicked since */
        got = served(lock, me);
        if (!got)
            st->spurious_wakeups++;
    }
    __atomic_store_n(&w->lock, NULL, __ATOMIC_RELEASE);
    plat->irq_restore(flags);
    return got;
}

/* Spinning is pointless while the holder cannot run (preempt_check=on). */
static bool holder_preempted(const pv_spinlock_t *lock)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;
    uint16_t h = lock->holder;
    return pv_lock_cfg.preempt_check && plat->vcpu_is_preempted && h &&
           plat->vcpu_is_preempted((unsigned)h - 1);
}

static void pvticket_lock(pv_spinlock_t *lock)
{
    uint32_t old = __atomic_fetch_add(&lock->val,
                                      TICKET_LOCK_INC << PV_TICKET_SHIFT,
                                      __ATOMIC_ACQUIRE);
    uint16_t me = ticket_of(pv_ticket_tail(old));

    if (pv_ticket_head(old) == me)
        goto owned;
    /* Nothing to sleep in and no holder to watch (bare metal): the plain
       ticket spin, so pv locks cost a native run no more than ticket. */
    if (!pv_lock_cfg.plat->halt && !pv_lock_cfg.preempt_check) {
        while (!served(lock, me))
            pv_lock_cfg.plat->relax();
        goto owned;
    }
    /* After a spurious wake-up we spin again rather than halting at once:
       the lock is likely moving, and a stale kick is cheaper to absorb by
       spinning than by another exit to the hypervisor. */
    for (;;) {
        for (uint32_t n = pv_lock_cfg.spin_threshold; n; n--) {
            if (served(lock, me))
                goto owned;
            if (n % PREEMPT_CHECK_EVERY == 0 && holder_preempted(lock)) {
                pv_lock_my_stats()->preempted_holder++;
                break;
            }
            pv_lock_cfg.plat->relax();
        }
        /* No halt (no PV_UNHALT: bare metal, or a hypervisor without
           it): nothing to sleep in, so spin on, exactly like ticket. */
        if (!pv_lock_cfg.plat->halt)
            continue;
        if (slow_wait(lock, me))
            goto owned;
    }
owned:
    /* Only preempt_check reads the hint; do not pay for it otherwise. */
    if (pv_lock_cfg.preempt_check)
        lock->holder = (uint16_t)(pv_lock_cfg.plat->cpu_id() + 1);
}

/* Kick every CPU halted on {lock, next}. Normally there is exactly one; a
   second match could only be a stale slot of a CPU about to clear it, and
   kicking both costs that CPU no more than a spurious wake-up. */
static void kick_next(pv_spinlock_t *lock, uint16_t next)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;
    struct pv_lock_cpu_stats *st = pv_lock_my_stats();
    bool found = false;

    for (unsigned cpu = 0; cpu < plat->nr_cpus; cpu++) {
        struct wait_slot *w = &wait_slots[cpu];

        if (__atomic_load_n(&w->lock, __ATOMIC_ACQUIRE) == lock &&
            __atomic_load_n(&w->want, __ATOMIC_RELAXED) == next) {
            st->kicks_sent++;
            plat->kick(cpu);
            found = true;
        }
    }
    if (!found)
        st->kick_misses++;
}

static void pvticket_unlock(pv_spinlock_t *lock)
{
    /* lock xadd on the head half: a full barrier, so the flag read below
       sees any flag set before the head moved (see slow_wait). */
    uint16_t next = (uint16_t)(__atomic_fetch_add(pv_lock_head_ptr(lock),
                                                  TICKET_LOCK_INC,
                                                  __ATOMIC_SEQ_CST) +
                               TICKET_LOCK_INC);
    uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_SEQ_CST);

    if (!(pv_ticket_tail(v) & SLOWPATH_FLAG))
        return;
    if (ticket_of(pv_ticket_tail(v)) == next &&
        __atomic_compare_exchange_n(&lock->val, &v, v & ~SLOWPATH_BIT, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
        return;                     /* nobody waits: flag cleared */
    kick_next(lock, next);
}

static int pvticket_is_locked(const pv_spinlock_t *lock)
{
    uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);

    return pv_ticket_head(v) != ticket_of(pv_ticket_tail(v));
}

static void pvticket_reset(void)
{
    for (unsigned cpu = 0; cpu < PV_LOCK_MAX_CPUS; cpu++)
        __atomic_store_n(&wait_slots[cpu].lock, NULL, __ATOMIC_RELAXED);
}

const struct pv_lock_ops pv_lock_pvticket_ops = {
    .lock = pvticket_lock,
    .unlock = pvticket_unlock,
    .is_locked = pvticket_is_locked,
    .reset = pvticket_reset,
};
