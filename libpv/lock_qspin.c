/*
 * Queued spinlock, as Linux has it since 4.2 (kernel/locking/qspinlock.c):
 * one 32-bit word (locked byte, pending byte, MCS tail code, layout in
 * lock_impl.h) with per-CPU queue nodes. The uncontended lock is one
 * cmpxchg; the first waiter does not queue but sets the pending bit and
 * spins on the word; further waiters form an MCS queue and only its head
 * spins on the word. FIFO (apart from the pending waiter, who is first in
 * line anyway), so it shares the ticket lock's weakness in a VM: a preempted
 * waiter at the head of the queue stalls the whole queue.
 *
 * Nodes are used only while waiting and waits nest strictly (an interrupt
 * handler's wait ends before the one it interrupted), so node 0's count is
 * a stack depth, as in Linux.
 */
#include <stdbool.h>
#include <stddef.h>

#include "lock_impl.h"

/* Spins while the word reads "pending, not locked": that is a hand-over in
   progress, worth waiting out briefly rather than queueing (Linux's
   _Q_PENDING_LOOPS on x86). */
#define QSPIN_PENDING_LOOPS (1u << 9)

static bool qspin_trylock(pv_spinlock_t *lock)
{
    uint32_t v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);

    return v == 0 &&
           __atomic_compare_exchange_n(&lock->val, &v, PV_Q_LOCKED_VAL, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Swaps our code into the tail half, returning the previous tail (shifted
   back into word position). release: our node's init is visible to the
   successor who finds us through the tail. */
static uint32_t xchg_tail(pv_spinlock_t *lock, uint32_t code)
{
    return (uint32_t)__atomic_exchange_n(pv_q_tail_ptr(lock), (uint16_t)code,
                                         __ATOMIC_ACQ_REL) << PV_Q_TAIL_SHIFT;
}

static void queue(pv_spinlock_t *lock, unsigned cpu)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;
    struct pv_lock_qnode *nodes = pv_q_cpu_nodes(cpu);
    struct pv_lock_qnode *node, *next = NULL;
    unsigned idx = nodes[0].count++;
    uint32_t code, tail, old, v;

    __atomic_signal_fence(__ATOMIC_SEQ_CST);   /* count before node use */
    if (idx >= PV_QNODES_PER_CPU) {
        /* Nested deeper than the nodes go: spin on the word, like Linux. */
        while (!qspin_trylock(lock))
            plat->relax();
        goto release;
    }
    node = &nodes[idx];
    code = pv_q_tail_code(cpu, idx);
    tail = code << PV_Q_TAIL_SHIFT;
    node->locked = 0;
    node->next = NULL;
    /* The lock may have come free while we set up. */
    if (qspin_trylock(lock))
        goto release;
    old = xchg_tail(lock, code);
    if (old & PV_Q_TAIL_MASK) {
        struct pv_lock_qnode *prev = pv_q_decode(old >> PV_Q_TAIL_SHIFT);

        __atomic_store_n(&prev->next, node, __ATOMIC_RELEASE);
        while (!__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
            plat->relax();
        /* Fetch the successor now, while we wait on the word anyway. */
        next = __atomic_load_n(&node->next, __ATOMIC_RELAXED);
    }
    /* Head of the queue: wait for the owner and the pending waiter. */
    while ((v = __atomic_load_n(&lock->val, __ATOMIC_ACQUIRE)) &
           PV_Q_LOCKED_PENDING_MASK)
        plat->relax();
    /* Last in the queue: take the lock and empty the queue in one go. If a
       new waiter swapped the tail meanwhile, the cmpxchg fails and we hand
       over the queue head to it below. */
    if ((v & PV_Q_TAIL_MASK) == tail &&
        __atomic_compare_exchange_n(&lock->val, &v, PV_Q_LOCKED_VAL, false,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        goto release;
    /* Others are queued behind us: nobody else writes the locked byte now
       (pending is clear and only the queue head may set locked). */
    __atomic_store_n(pv_q_locked_ptr(lock), PV_Q_LOCKED_VAL, __ATOMIC_RELAXED);
    while (!next && !(next = __atomic_load_n(&node->next, __ATOMIC_ACQUIRE)))
        plat->relax();
    __atomic_store_n(&next->locked, 1, __ATOMIC_RELEASE);
release:
    __atomic_signal_fence(__ATOMIC_SEQ_CST);   /* node use before count */
    nodes[0].count--;
}

static void qspin_slowpath(pv_spinlock_t *lock, uint32_t v)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;
    unsigned cpu = plat->cpu_id();

    if (v == PV_Q_PENDING_VAL) {
        for (unsigned n = QSPIN_PENDING_LOOPS; n; n--) {
            v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);
            if (v != PV_Q_PENDING_VAL)
                break;
            plat->relax();
        }
    }
    if (v & ~PV_Q_LOCKED_MASK) {
        queue(lock, cpu);           /* pending or queue taken: contention */
        return;
    }
    /* Only the owner so far: become the pending waiter. */
    v = __atomic_fetch_or(&lock->val, PV_Q_PENDING_VAL, __ATOMIC_ACQUIRE);
    if (v & ~PV_Q_LOCKED_MASK) {
        /* Lost the race for pending; undo ours only if we set it. */
        if (!(v & PV_Q_PENDING_MASK))
            __atomic_store_n(pv_q_pending_ptr(lock), 0, __ATOMIC_RELAXED);
        queue(lock, cpu);
        return;
    }
    /* Pending is ours: wait for the owner, then take the lock and drop
       pending in one 16-bit store (the tail half may change meanwhile). */
    while (__atomic_load_n(&lock->val, __ATOMIC_ACQUIRE) & PV_Q_LOCKED_MASK)
        plat->relax();
    __atomic_store_n(pv_lock_head_ptr(lock), (uint16_t)PV_Q_LOCKED_VAL,
                     __ATOMIC_RELAXED);
}

static void qspin_lock(pv_spinlock_t *lock)
{
    uint32_t v = 0;

    if (__atomic_compare_exchange_n(&lock->val, &v, PV_Q_LOCKED_VAL, false,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    qspin_slowpath(lock, v);
}

static void qspin_unlock(pv_spinlock_t *lock)
{
    __atomic_store_n(pv_q_locked_ptr(lock), 0, __ATOMIC_RELEASE);
}

static int qspin_is_locked(const pv_spinlock_t *lock)
{
    return __atomic_load_n(&lock->val, __ATOMIC_RELAXED) != 0;
}

static void qspin_reset(void)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;

    for (unsigned c = 0; c < plat->nr_cpus; c++)
        for (unsigned i = 0; i < PV_QNODES_PER_CPU; i++) {
            pv_q_cpu_nodes(c)[i].cpu = c;
            pv_q_cpu_nodes(c)[i].count = 0;
        }
}

const struct pv_lock_ops pv_lock_qspin_ops = {
    .lock = qspin_lock,
    .unlock = qspin_unlock,
    .is_locked = qspin_is_locked,
    .reset = qspin_reset,
    .needs_qnodes = 1,
};
