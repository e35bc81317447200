/*
 * Preemptable ticket lock (Ouyang and Lange, "Preemptable Ticket Spinlocks:
 * Improving Consolidated Performance in the Cloud", VEE 2013). A ticket lock
 * whose waiters give up on strict order: a waiter whose turn has not come
 * after a wait proportional to its distance from the head of the queue may
 * take the lock out of order, so a preempted waiter no longer stalls every
 * ticket behind it. Needs no hypervisor support at all.
 *
 * Word: bit 0 is the lock itself (taken with cmpxchg), bits 15:1 the grant
 * counter (acquisitions so far, bumped by each unlock), bits 31:16 the next
 * ticket to hand out. A waiter with ticket t is d = t - grant places from
 * its turn (mod 2^15); it may try to take the free lock once d <= 0 or it
 * has spun d * PTICKET_TIMEOUT_UNIT times. Without preemption every waiter
 * gets its turn in ticket order, as with the plain ticket lock.
 */
#include "lock_impl.h"

#define PT_LOCKED        1u
#define PT_GRANT_SHIFT   1
#define PT_GRANT_BITS    15
#define PT_GRANT_MASK    ((1u << PT_GRANT_BITS) - 1)
#define PT_TICKET_ONE    (1u << PV_TICKET_SHIFT)
/* relax() calls per place in the queue before a waiter stops waiting for
   its turn: several critical sections' worth, so that without preemption
   the order holds and with it a stalled queue moves on within a few. */
#define PTICKET_TIMEOUT_UNIT 2048u

static uint32_t grant_of(uint32_t val)
{
    return (val >> PT_GRANT_SHIFT) & PT_GRANT_MASK;
}

/* Places between ticket and grant, as a signed 15-bit distance. */
static int32_t distance(uint16_t ticket, uint32_t grant)
{
    uint32_t d = ((uint32_t)ticket - grant) & PT_GRANT_MASK;

    return d >= (1u << (PT_GRANT_BITS - 1)) ? (int32_t)d - (1 << PT_GRANT_BITS)
                                            : (int32_t)d;
}

static void pticket_lock(pv_spinlock_t *lock)
{
    uint32_t old = __atomic_fetch_add(&lock->val, PT_TICKET_ONE,
                                      __ATOMIC_RELAXED);
    uint16_t me = pv_ticket_tail(old);
    uint64_t spins = 0;

    for (;;) {
        uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);
        int32_t d = distance(me, grant_of(v));

        if (!(v & PT_LOCKED) &&
            (d <= 0 || spins >= (uint64_t)d * PTICKET_TIMEOUT_UNIT)) {
            if (__atomic_compare_exchange_n(&lock->val, &v, v | PT_LOCKED, 0,
                                            __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
                if (d > 0)
                    pv_lock_my_stats()->steals++;
                return;
            }
            continue;               /* the word moved: look again at once */
        }
        pv_lock_cfg.plat->relax();
        spins++;
    }
}

static void pticket_unlock(pv_spinlock_t *lock)
{
    /* Adding 1 to the low half clears the lock bit and carries into the
       grant counter in one atomic; it wraps inside the half, so the ticket
       half never sees the carry. */
    __atomic_fetch_add(pv_lock_head_ptr(lock), PT_LOCKED, __ATOMIC_RELEASE);
}

static int pticket_is_locked(const pv_spinlock_t *lock)
{
    return (__atomic_load_n(&lock->val, __ATOMIC_RELAXED) & PT_LOCKED) != 0;
}

const struct pv_lock_ops pv_lock_pticket_ops = {
    .lock = pticket_lock,
    .unlock = pticket_unlock,
    .is_locked = pticket_is_locked,
};
