/*
 * Test-and-test-and-set lock with bounded exponential back-off: what Linux
 * falls back to inside a VM that has no pv spinlocks (virt_spin_lock in
 * arch/x86/include/asm/qspinlock.h), because a queue lock there waits on
 * preempted waiters. Any CPU may take a free lock, so a preempted waiter
 * stalls nobody; the price is no fairness at all: whoever happens to see the
 * lock free wins, and a CPU that just released it wins most often.
 */
#include "lock_impl.h"

#define TAS_LOCKED       1u
#define TAS_BACKOFF_MIN  1u         /* relax() calls after the first miss */
#define TAS_BACKOFF_MAX  1024u      /* cap: waiting longer only adds latency */

static void tas_lock(pv_spinlock_t *lock)
{
    uint32_t backoff = TAS_BACKOFF_MIN;

    for (;;) {
        uint32_t expect = 0;

        /* Read before the atomic: a failing locked cmpxchg would pull the
           line exclusive on every try and slow down the holder. */
        if (__atomic_load_n(&lock->val, __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(&lock->val, &expect, TAS_LOCKED, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        for (uint32_t i = 0; i < backoff; i++)
            pv_lock_cfg.plat->relax();
        if (backoff < TAS_BACKOFF_MAX)
            backoff <<= 1;
    }
}

static void tas_unlock(pv_spinlock_t *lock)
{
    __atomic_store_n(&lock->val, 0, __ATOMIC_RELEASE);
}

static int tas_is_locked(const pv_spinlock_t *lock)
{
    return __atomic_load_n(&lock->val, __ATOMIC_RELAXED) != 0;
}

const struct pv_lock_ops pv_lock_tas_ops = {
    .lock = tas_lock,
    .unlock = tas_unlock,
    .is_locked = tas_is_locked,
};
