/*
 * Private to the lock files: the per-kind operations table that lock.c
 * dispatches through, the configuration every kind reads, and the few
 * helpers for the shared 32-bit head/tail word.
 */
#ifndef PVHV_LOCK_IMPL_H
#define PVHV_LOCK_IMPL_H

#include <stdint.h>

#include "lock.h"

#define PV_TICKET_SHIFT 16          /* tail lives in bits 31:16 */
#define PV_TICKET_MASK  0xffffu     /* one 16-bit half */

/* The head half is updated with 16-bit atomics while other CPUs use 32-bit
   atomics on the whole word; may_alias keeps gcc from assuming the two
   accesses cannot touch the same memory. */
typedef uint16_t __attribute__((may_alias)) pv_half_t;

static inline volatile pv_half_t *pv_lock_head_ptr(pv_spinlock_t *lock)
{
    return (volatile pv_half_t *)&lock->val;    /* x86 is little-endian */
}

static inline uint16_t pv_ticket_head(uint32_t val)
{
    return (uint16_t)(val & PV_TICKET_MASK);
}

static inline uint16_t pv_ticket_tail(uint32_t val)
{
    return (uint16_t)(val >> PV_TICKET_SHIFT);
}

struct pv_lock_ops {
    void (*lock)(pv_spinlock_t *lock);
    void (*unlock)(pv_spinlock_t *lock);
    int (*is_locked)(const pv_spinlock_t *lock);
    void (*reset)(void);            /* optional: forget per-kind state */
};

/* What pv_lock_setup chose; read by the kinds on every slow path. */
struct pv_lock_cfg {
    const struct pv_lock_platform *plat;
    uint32_t spin_threshold;
    struct pv_lock_cpu_stats *stats;
    int preempt_check;
};

extern struct pv_lock_cfg pv_lock_cfg;
extern const struct pv_lock_ops pv_lock_ticket_ops;
extern const struct pv_lock_ops pv_lock_pvticket_ops;

/* This CPU's counters (never NULL once pv_lock_setup ran). */
struct pv_lock_cpu_stats *pv_lock_my_stats(void);

#endif
