/*
 * MCS queue lock (Mellor-Crummey and Scott, "Algorithms for Scalable
 * Synchronization on Shared-Memory Multiprocessors", TOCS 1991). Each waiter
 * spins on the locked flag of its own queue node, so a hand-over touches one
 * remote cache line instead of every waiter's. Strict FIFO: like the ticket
 * lock it stalls everyone behind a preempted waiter or holder.
 *
 * The word holds the tail code of the last node (0 = free). The interface
 * passes no node to unlock, so the holder keeps its node until unlock and
 * finds it again through the lock's holder field (its tail code, written
 * after acquiring). A CPU holding PV_QNODES_PER_CPU mcs locks at once cannot
 * take another one (it waits for a node of its own to come free); the guest
 * never nests more than one.
 */
#include <stdbool.h>
#include <stddef.h>

#include "lock_impl.h"

#define MCS_ALL_NODES ((1u << PV_QNODES_PER_CPU) - 1)

/* Node 0's count is this CPU's in-use mask. Interrupt handlers may lock
   too, so claiming a bit is a cmpxchg even though only this CPU writes. */
static unsigned claim_node(unsigned cpu)
{
    struct pv_lock_qnode *n0 = pv_q_cpu_nodes(cpu);

    for (;;) {
        uint32_t used = __atomic_load_n(&n0->count, __ATOMIC_RELAXED);

        if (used == MCS_ALL_NODES) {
            pv_lock_cfg.plat->relax();
            continue;
        }
        unsigned idx = (unsigned)__builtin_ctz(~used);

        if (__atomic_compare_exchange_n(&n0->count, &used, used | (1u << idx),
                                        false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return idx;
    }
}

static void free_node(unsigned cpu, unsigned idx)
{
    /* release: our last reads of the node happen before a reuse. */
    __atomic_fetch_and(&pv_q_cpu_nodes(cpu)->count, ~(1u << idx),
                       __ATOMIC_RELEASE);
}

static void mcs_lock(pv_spinlock_t *lock)
{
    unsigned cpu = pv_lock_cfg.plat->cpu_id();
    unsigned idx = claim_node(cpu);
    struct pv_lock_qnode *node = &pv_q_cpu_nodes(cpu)[idx];
    uint32_t code = pv_q_tail_code(cpu, idx);
    uint32_t prev;

    node->next = NULL;
    node->locked = 0;
    /* acq_rel: release publishes the node's init to our successor, acquire
       orders the critical section after a free lock's last release. */
    prev = __atomic_exchange_n(&lock->val, code, __ATOMIC_ACQ_REL);
    if (prev) {
        __atomic_store_n(&pv_q_decode(prev)->next, node, __ATOMIC_RELEASE);
        while (!__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
            pv_lock_cfg.plat->relax();
    }
    lock->holder = (uint16_t)code;
}

static void mcs_unlock(pv_spinlock_t *lock)
{
    uint32_t code = lock->holder;   /* our own write in mcs_lock */
    struct pv_lock_qnode *node = pv_q_decode(code);
    struct pv_lock_qnode *next = __atomic_load_n(&node->next,
                                                 __ATOMIC_ACQUIRE);

    if (!next) {
        uint32_t expect = code;

        if (__atomic_compare_exchange_n(&lock->val, &expect, 0, false,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            goto done;              /* nobody queued behind us */
        /* A successor swapped the tail but has not linked itself yet. */
        while (!(next = __atomic_load_n(&node->next, __ATOMIC_ACQUIRE)))
            pv_lock_cfg.plat->relax();
    }
    __atomic_store_n(&next->locked, 1, __ATOMIC_RELEASE);
done:
    free_node(node->cpu, code & PV_Q_IDX_MASK);
}

static int mcs_is_locked(const pv_spinlock_t *lock)
{
    return __atomic_load_n(&lock->val, __ATOMIC_RELAXED) != 0;
}

/* Stamp each node with its CPU (mcs_unlock frees through it) and clear the
   in-use masks. */
static void mcs_reset(void)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;

    for (unsigned c = 0; c < plat->nr_cpus; c++)
        for (unsigned i = 0; i < PV_QNODES_PER_CPU; i++) {
            pv_q_cpu_nodes(c)[i].cpu = c;
            pv_q_cpu_nodes(c)[i].count = 0;
        }
}

const struct pv_lock_ops pv_lock_mcs_ops = {
    .lock = mcs_lock,
    .unlock = mcs_unlock,
    .is_locked = mcs_is_locked,
    .reset = mcs_reset,
    .needs_qnodes = 1,
};
