/*
 * Paravirtual queued spinlock: Linux's cure for lock-holder and lock-waiter
 * preemption since 4.2 (kernel/locking/qspinlock_paravirt.h on top of
 * qspinlock.c, with kvm_wait/kvm_kick_cpu from arch/x86/kernel/kvm.c as
 * pv_wait/pv_kick). Same word and queue as lock_qspin.c, minus the pending
 * waiter (the pending bit only tells stealers "the queue head is spinning"):
 *
 *  - A queued waiter spins on its node a bounded time, then halts with
 *    pv_wait on its node's state. It halts early if its predecessor is not
 *    running (halted, or its vCPU preempted: checked every
 *    PV_PREV_CHECK_MASK + 1 spins): waiting behind it is pointless.
 *  - The queue head spins on the lock word a bounded time, then puts
 *    {lock, node} into a hash table, marks the lock slow (locked byte
 *    PVQ_SLOW_VAL) and halts with pv_wait on the locked byte.
 *  - The owner handing the queue on to a halted successor does not wake it:
 *    it hashes it and marks the lock slow itself (pv_kick_node), so the
 *    successor sleeps on until the lock is really free.
 *  - Unlock is a cmpxchg of the locked byte from LOCKED to 0; if it finds
 *    the slow mark it looks the node up, unhashes it, releases, and only
 *    then kicks that node's vCPU.
 *  - A new locker may take the lock once, out of queue order, while it is
 *    free and the queue head is not spinning (no pending bit).
 *
 * One deviation from Linux: Linux hashes the queue head once per wait, so a
 * head that was woken but lost the lock to a stealer spins from then on. We
 * hash again once our entry is provably gone (we saw the locked byte slow
 * and then not: the unlocker unhashes before it clears the byte), so such a
 * head can halt again if the stealer is preempted. (Testing only "not slow"
 * is wrong: spin found a double entry through kick_node's window.) The protocol, this included, is
 * model-checked in tests/model/pvqspin.pml.
 *
 * Memory-ordering pairings (the checklist of qspinlock_paravirt.h):
 *  P1 waiter: state = HALTED; full barrier; read node->locked
 *     owner:  node->locked = 1; full barrier; cmpxchg state HALTED->HASHED
 *     (either the waiter sees locked, or the owner sees HALTED and hashes)
 *  P2 head:   hash entry; then xchg locked byte to SLOW (full barrier)
 *     unlock: sees SLOW (failed cmpxchg); read barrier; look the entry up
 *  P3 unlock: unhash; release-store locked = 0; then kick
 *     (the kick is for a lock already free; a kick before the release
 *      could wake the head to find it still held and sleep for good)
 *  P4 pv_wait checks *ptr == val with interrupts off and the hypervisor's
 *     kicked latch catches a kick between the check and the halt.
 */
#include <stdbool.h>
#include <stddef.h>

#include "lock_impl.h"

#define PVQ_SLOW_VAL        3u      /* locked byte: held, and a waiter hashed */
#define PV_PREV_CHECK_MASK  0xffu   /* look at the predecessor every 256 spins */
#define PVQ_HASH_BITS       8
#define PVQ_HASH_ENTRIES    (1u << PVQ_HASH_BITS)
#define PVQ_HASH_MUL        0x61c8864680b583ebull   /* 2^64 / golden ratio */

/* Every halted queue head uses one entry and a CPU has at most
   PV_QNODES_PER_CPU nested waits, so the table never fills. */
_Static_assert(PVQ_HASH_ENTRIES >= PV_LOCK_MAX_CPUS * PV_QNODES_PER_CPU,
               "one hash entry per possible waiting node");

enum vcpu_state {
    VCPU_RUNNING = 0,
    VCPU_HALTED,                    /* halted in wait_node */
    VCPU_HASHED,                    /* halted, and its lock in the table */
};

struct hash_entry {
    pv_spinlock_t *volatile lock;
    struct pv_lock_qnode *volatile node;
};

static struct hash_entry hash_table[PVQ_HASH_ENTRIES];

static unsigned hash_of(const pv_spinlock_t *lock)
{
    return (unsigned)(((uint64_t)(uintptr_t)lock * PVQ_HASH_MUL) >>
                      (64 - PVQ_HASH_BITS));
}

/* Claim a free entry at or after the lock's slot. */
static void pv_hash(pv_spinlock_t *lock, struct pv_lock_qnode *node)
{
    unsigned h = hash_of(lock);

    for (unsigned i = 0; i < PVQ_HASH_ENTRIES; i++) {
        struct hash_entry *he = &hash_table[(h + i) & (PVQ_HASH_ENTRIES - 1)];
        pv_spinlock_t *none = NULL;

        if (__atomic_compare_exchange_n(&he->lock, &none, lock, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
            __atomic_store_n(&he->node, node, __ATOMIC_RELAXED);
            return;
        }
    }
    __builtin_trap();               /* impossible: see the static assert */
}

/* Remove the lock's entry and return its node. Only the owner of a lock
   marked slow calls this, and the head hashed before marking it. */
static struct pv_lock_qnode *pv_unhash(pv_spinlock_t *lock)
{
    unsigned h = hash_of(lock);

    for (unsigned i = 0; i < PVQ_HASH_ENTRIES; i++) {
        struct hash_entry *he = &hash_table[(h + i) & (PVQ_HASH_ENTRIES - 1)];

        if (__atomic_load_n(&he->lock, __ATOMIC_RELAXED) == lock) {
            struct pv_lock_qnode *node =
                __atomic_load_n(&he->node, __ATOMIC_RELAXED);

            __atomic_store_n(&he->lock, NULL, __ATOMIC_RELAXED);
            return node;
        }
    }
    __builtin_trap();               /* impossible: slow implies hashed */
}

/* kvm_wait: halt unless *ptr has changed from val. Interrupts are off
   from the check to the halt, and a kick in between sets the latch. */
static bool pv_wait(volatile pv_byte_t *ptr, uint8_t val)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;
    unsigned long flags = plat->irq_save();
    bool halted = false;

    if (__atomic_load_n(ptr, __ATOMIC_ACQUIRE) == val) {
        pv_lock_my_stats()->halts++;
        plat->halt();
        halted = true;
    }
    plat->irq_restore(flags);
    return halted;
}

static void pv_kick(unsigned cpu)
{
    pv_lock_my_stats()->kicks_sent++;
    pv_lock_cfg.plat->kick(cpu);
}

static bool prev_not_running(const struct pv_lock_qnode *prev)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;

    return __atomic_load_n(&prev->state, __ATOMIC_RELAXED) != VCPU_RUNNING ||
           (plat->vcpu_is_preempted && plat->vcpu_is_preempted(prev->cpu));
}

/* Wait until the predecessor hands us the queue head (node->locked). */
static void wait_node(struct pv_lock_qnode *node,
                      const struct pv_lock_qnode *prev)
{
    struct pv_lock_cpu_stats *st = pv_lock_my_stats();

    for (;;) {
        for (uint32_t n = pv_lock_cfg.spin_threshold; n; n--) {
            if (__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
                return;
            if ((n & PV_PREV_CHECK_MASK) == 0 && prev_not_running(prev)) {
                st->preempted_holder++;
                break;
            }
            pv_lock_cfg.plat->relax();
        }
        st->slow_path++;
        /* P1: the state store before the locked load. */
        __atomic_store_n(&node->state, VCPU_HALTED, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE)) {
            bool halted = pv_wait(&node->state, VCPU_HALTED);

            if (halted && !__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE) &&
                __atomic_load_n(&node->state, __ATOMIC_RELAXED) == VCPU_HALTED)
                st->spurious_wakeups++;
        }
        /* If the owner made us HASHED, keep it: wait_head must not hash
           this lock a second time. */
        uint8_t halted_state = VCPU_HALTED;
        __atomic_compare_exchange_n(&node->state, &halted_state, VCPU_RUNNING,
                                    false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
        if (__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
            return;
    }
}

/* The owner gave the queue head to node: if node is halted, leave it asleep
   but hashed and the lock marked slow, so our unlock wakes it when the lock
   is free (a kick now would only make it halt again on the lock). */
static void kick_node(pv_spinlock_t *lock, struct pv_lock_qnode *node)
{
    uint8_t halted_state = VCPU_HALTED;

    __atomic_thread_fence(__ATOMIC_SEQ_CST);            /* P1 */
    if (!__atomic_compare_exchange_n(&node->state, &halted_state, VCPU_HASHED,
                                     false, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return;                     /* running: it sees node->locked */
    /* We own the lock and are the one who unlocks it, so program order
       suffices between the mark and the entry. */
    __atomic_store_n(pv_q_locked_ptr(lock), PVQ_SLOW_VAL, __ATOMIC_RELAXED);
    pv_hash(lock, node);
}

/* Clear pending and take the lock in one 16-bit cmpxchg, if it is free. */
static bool trylock_clear_pending(pv_spinlock_t *lock)
{
    uint16_t want = (uint16_t)PV_Q_PENDING_VAL;

    return __atomic_load_n(pv_q_locked_ptr(lock), __ATOMIC_RELAXED) == 0 &&
           __atomic_compare_exchange_n(pv_lock_head_ptr(lock), &want,
                                       (uint16_t)PV_Q_LOCKED_VAL, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Queue head: spin for the lock, else hash, mark slow, halt; until owned. */
static void wait_head_or_lock(pv_spinlock_t *lock, struct pv_lock_qnode *node)
{
    struct pv_lock_cpu_stats *st = pv_lock_my_stats();
    /* kick_node may already have hashed us and marked the lock. */
    bool hashed = __atomic_load_n(&node->state, __ATOMIC_RELAXED) ==
                  VCPU_HASHED;

    for (;;) {
        bool saw_slow = false;

        __atomic_store_n(&node->state, VCPU_RUNNING, __ATOMIC_RELAXED);
        /* Pending shuts out stealers while we spin. */
        __atomic_store_n(pv_q_pending_ptr(lock), 1, __ATOMIC_RELAXED);
        for (uint32_t n = pv_lock_cfg.spin_threshold; n; n--) {
            if (trylock_clear_pending(lock))
                return;
            pv_lock_cfg.plat->relax();
        }
        __atomic_store_n(pv_q_pending_ptr(lock), 0, __ATOMIC_RELAXED);
        st->slow_path++;
        if (!hashed) {
            pv_hash(lock, node);
            hashed = true;
            /* P2: the entry is visible before the mark (xchg is a full
               barrier). A free lock is ours at once: take the mark back. */
            saw_slow = true;
            if (__atomic_exchange_n(pv_q_locked_ptr(lock), PVQ_SLOW_VAL,
                                    __ATOMIC_SEQ_CST) == 0) {
                __atomic_store_n(pv_q_locked_ptr(lock), PV_Q_LOCKED_VAL,
                                 __ATOMIC_RELAXED);
                (void)pv_unhash(lock);
                return;
            }
        }
        __atomic_store_n(&node->state, VCPU_HASHED, __ATOMIC_RELAXED);
        if (pv_wait(pv_q_locked_ptr(lock), PVQ_SLOW_VAL)) {
            saw_slow = true;
            if (__atomic_load_n(pv_q_locked_ptr(lock), __ATOMIC_ACQUIRE) ==
                PVQ_SLOW_VAL)
                st->spurious_wakeups++;
        }
        /* Seen slow, now not: only an unlock clears the mark, and it takes
           our entry out first, so the next wait must hash again. Not seen
           slow proves nothing: kick_node marks the lock after it made us
           HASHED, so the mark may still be coming. */
        if (saw_slow && __atomic_load_n(pv_q_locked_ptr(lock),
                                        __ATOMIC_ACQUIRE) != PVQ_SLOW_VAL)
            hashed = false;
    }
}

/* One attempt at taking a free lock past the queue (not while the head
   spins with pending set). */
static bool steal(pv_spinlock_t *lock)
{
    uint8_t free_byte = 0;

    if (__atomic_load_n(&lock->val, __ATOMIC_RELAXED) &
        PV_Q_LOCKED_PENDING_MASK)
        return false;
    if (!__atomic_compare_exchange_n(pv_q_locked_ptr(lock), &free_byte,
                                     (uint8_t)PV_Q_LOCKED_VAL, false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return false;
    pv_lock_my_stats()->steals++;
    return true;
}

static void pvqspin_slowpath(pv_spinlock_t *lock)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;
    unsigned cpu = plat->cpu_id();
    struct pv_lock_qnode *nodes = pv_q_cpu_nodes(cpu);
    struct pv_lock_qnode *node, *next = NULL;
    unsigned idx = nodes[0].count++;
    uint32_t code, tail, old, v;

    __atomic_signal_fence(__ATOMIC_SEQ_CST);   /* count before node use */
    if (idx >= PV_QNODES_PER_CPU) {
        while (!steal(lock))        /* nested too deep: spin, like Linux */
            plat->relax();
        goto release;
    }
    node = &nodes[idx];
    code = pv_q_tail_code(cpu, idx);
    tail = code << PV_Q_TAIL_SHIFT;
    node->locked = 0;
    node->next = NULL;
    node->cpu = cpu;
    node->state = VCPU_RUNNING;
    if (steal(lock))
        goto release;
    /* release: the node's init before a successor can find it. */
    old = (uint32_t)__atomic_exchange_n(pv_q_tail_ptr(lock), (uint16_t)code,
                                        __ATOMIC_ACQ_REL) << PV_Q_TAIL_SHIFT;
    if (old & PV_Q_TAIL_MASK) {
        struct pv_lock_qnode *prev = pv_q_decode(old >> PV_Q_TAIL_SHIFT);

        __atomic_store_n(&prev->next, node, __ATOMIC_RELEASE);
        wait_node(node, prev);
        next = __atomic_load_n(&node->next, __ATOMIC_RELAXED);
    }
    wait_head_or_lock(lock, node);  /* returns owning the lock */
    v = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);
    /* Last in the queue: empty it. Our locked byte stays LOCKED. */
    if ((v & PV_Q_TAIL_MASK) == tail &&
        __atomic_compare_exchange_n(&lock->val, &v,
                                    (v & ~PV_Q_TAIL_MASK), false,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        goto release;
    while (!next && !(next = __atomic_load_n(&node->next, __ATOMIC_ACQUIRE)))
        plat->relax();
    __atomic_store_n(&next->locked, 1, __ATOMIC_RELEASE);
    kick_node(lock, next);
release:
    __atomic_signal_fence(__ATOMIC_SEQ_CST);   /* node use before count */
    nodes[0].count--;
}

static void pvqspin_lock(pv_spinlock_t *lock)
{
    uint32_t v = 0;

    if (__atomic_compare_exchange_n(&lock->val, &v, PV_Q_LOCKED_VAL, false,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    pvqspin_slowpath(lock);
}

static void pvqspin_unlock(pv_spinlock_t *lock)
{
    uint8_t locked = (uint8_t)PV_Q_LOCKED_VAL;
    struct pv_lock_qnode *node;

    if (__atomic_compare_exchange_n(pv_q_locked_ptr(lock), &locked, 0, false,
                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        return;
    /* P2: a failed cmpxchg orders nothing; the entry is read after we saw
       the slow mark. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    node = pv_unhash(lock);
    /* P3: release first, then kick. */
    __atomic_store_n(pv_q_locked_ptr(lock), 0, __ATOMIC_RELEASE);
    pv_kick(node->cpu);
}

static int pvqspin_is_locked(const pv_spinlock_t *lock)
{
    return __atomic_load_n(&lock->val, __ATOMIC_RELAXED) != 0;
}

static void pvqspin_reset(void)
{
    const struct pv_lock_platform *plat = pv_lock_cfg.plat;

    for (unsigned i = 0; i < PVQ_HASH_ENTRIES; i++)
        hash_table[i] = (struct hash_entry){ NULL, NULL };
    for (unsigned c = 0; c < plat->nr_cpus; c++)
        for (unsigned i = 0; i < PV_QNODES_PER_CPU; i++) {
            pv_q_cpu_nodes(c)[i].cpu = c;
            pv_q_cpu_nodes(c)[i].count = 0;
            pv_q_cpu_nodes(c)[i].state = VCPU_RUNNING;
        }
}

const struct pv_lock_ops pv_lock_pvqspin_ops = {
    .lock = pvqspin_lock,
    .unlock = pvqspin_unlock,
    .is_locked = pvqspin_is_locked,
    .reset = pvqspin_reset,
    .needs_qnodes = 1,
};
