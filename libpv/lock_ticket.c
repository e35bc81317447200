/*
 * Plain FIFO ticket lock: one lock xadd takes a ticket from the tail, the
 * owner is whoever's ticket equals the head, unlock bumps the head. Waiters
 * only ever PAUSE, so a preempted holder or next-in-line stalls everyone
 * behind it - the problem pvticket exists to fix.
 */
#include "lock_impl.h"

#define TICKET_INC 1u

static void ticket_lock(pv_spinlock_t *lock)
{
    uint32_t old = __atomic_fetch_add(&lock->val, TICKET_INC << PV_TICKET_SHIFT,
                                      __ATOMIC_ACQUIRE);
    uint16_t me = pv_ticket_tail(old);

    while (pv_ticket_head(__atomic_load_n(&lock->val, __ATOMIC_ACQUIRE)) != me)
        pv_lock_cfg.plat->relax();
}

static void ticket_unlock(pv_spinlock_t *lock)
{
    /* Only the owner writes the head, but the tail half changes under us, so
       the increment must touch the head half alone (no carry into tail). */
    __atomic_fetch_add(pv_lock_head_ptr(lock), TICKET_INC, __ATOMIC_RELEASE);
}

static int ticket_is_locked(const pv_spinlock_t *lock)
{
    uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);

    return pv_ticket_head(v) != pv_ticket_tail(v);
}

const struct pv_lock_ops pv_lock_ticket_ops = {
    .lock = ticket_lock,
    .unlock = ticket_unlock,
    .is_locked = ticket_is_locked,
};
