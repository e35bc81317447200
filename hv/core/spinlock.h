/*
 * The hypervisor's own locks: a plain FIFO ticket lock in one word. On bare
 * metal the hypervisor never runs preempted by a hypervisor, so the plain
 * lock is the right one; where its pCPUs are themselves preempted (it runs
 * under QEMU TCG or nested) a FIFO lock convoys, and spin_lock_unfair takes
 * the same word test-and-set instead. The guest's pv locks live in libpv.
 */
#ifndef HV_SPINLOCK_H
#define HV_SPINLOCK_H

#include <stdint.h>

#define SPIN_RFLAGS_IF (1ull << 9)   /* RFLAGS.IF (x86.h's RFLAGS_IF) */

typedef struct {
    volatile uint16_t head;
    volatile uint16_t tail;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(spinlock_t *l)
{
    uint16_t me = __atomic_fetch_add(&l->tail, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->head, __ATOMIC_ACQUIRE) != me)
        __asm__ volatile("pause");
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->head, (uint16_t)(l->head + 1), __ATOMIC_RELEASE);
}

/* Take the lock only if it is free now; 1 if taken. */
static inline int spin_trylock(spinlock_t *l)
{
    uint16_t t = __atomic_load_n(&l->tail, __ATOMIC_RELAXED);
    if (__atomic_load_n(&l->head, __ATOMIC_RELAXED) != t)
        return 0;
    return __atomic_compare_exchange_n(&l->tail, &t, (uint16_t)(t + 1), 0,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Test-and-test-and-set on the ticket word: whoever finds the lock free
   takes it, so a waiter that is not running (a preempted pCPU) holds
   nobody up, at the price of FIFO order (Linux's virt_spin_lock). Mixes
   safely with spin_lock on the same word: a ticket waiter keeps head !=
   tail, so trylock fails until the queue is empty. */
static inline void spin_lock_unfair(spinlock_t *l)
{
    while (!spin_trylock(l))
        while (__atomic_load_n(&l->head, __ATOMIC_RELAXED) !=
               __atomic_load_n(&l->tail, __ATOMIC_RELAXED))
            __asm__ volatile("pause");
}

/* Interrupts off; returns the previous RFLAGS for irq_restore. */
static inline uint64_t irq_save(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore(uint64_t flags)
{
    if (flags & SPIN_RFLAGS_IF)
        __asm__ volatile("sti" ::: "memory");
}

/* Lock with interrupts off; returns the previous RFLAGS for unlock. */
static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
    spin_unlock(l);
    if (flags & SPIN_RFLAGS_IF)
        __asm__ volatile("sti" ::: "memory");
}

#endif
