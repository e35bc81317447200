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
    int needs_qnodes;               /* uses the platform's queue nodes */
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
extern const struct pv_lock_ops pv_lock_tas_ops;
extern const struct pv_lock_ops pv_lock_mcs_ops;
extern const struct pv_lock_ops pv_lock_qspin_ops;
extern const struct pv_lock_ops pv_lock_pvqspin_ops;
extern const struct pv_lock_ops pv_lock_pticket_ops;

/* This CPU's counters (never NULL once pv_lock_setup ran). */
struct pv_lock_cpu_stats *pv_lock_my_stats(void);

/* ---- queue locks (mcs, qspin, pvqspin) ----
 *
 * The word of qspin and pvqspin is Linux's layout for fewer than 16K CPUs:
 * locked byte in bits 7:0, pending byte in bits 15:8 (only bit 8 used), and
 * the tail in bits 31:16 naming the last queued node as (cpu + 1) << 2 | idx
 * so that 0 means "no queue". mcs uses the same tail code, unshifted.
 */
#define PV_Q_LOCKED_VAL     1u
#define PV_Q_LOCKED_MASK    0xffu
#define PV_Q_PENDING_VAL    (1u << 8)
#define PV_Q_PENDING_MASK   0xff00u
#define PV_Q_LOCKED_PENDING_MASK (PV_Q_LOCKED_MASK | PV_Q_PENDING_MASK)
#define PV_Q_TAIL_SHIFT     16
#define PV_Q_TAIL_MASK      0xffff0000u
#define PV_Q_IDX_BITS       2           /* log2(PV_QNODES_PER_CPU) */
#define PV_Q_IDX_MASK       ((1u << PV_Q_IDX_BITS) - 1)

_Static_assert(PV_QNODES_PER_CPU == 1u << PV_Q_IDX_BITS, "idx bits");
_Static_assert(((PV_LOCK_MAX_CPUS + 1) << PV_Q_IDX_BITS) <= 0xffff,
               "a tail code fits the 16-bit tail half");

typedef uint8_t __attribute__((may_alias)) pv_byte_t;

/* The locked byte, the pending byte, the 16-bit locked+pending half and the
   tail half of a queue word (x86 is little-endian). */
static inline volatile pv_byte_t *pv_q_locked_ptr(pv_spinlock_t *lock)
{
    return (volatile pv_byte_t *)&lock->val;
}

static inline volatile pv_byte_t *pv_q_pending_ptr(pv_spinlock_t *lock)
{
    return (volatile pv_byte_t *)&lock->val + 1;
}

static inline volatile pv_half_t *pv_q_tail_ptr(pv_spinlock_t *lock)
{
    return (volatile pv_half_t *)&lock->val + 1;
}

static inline uint32_t pv_q_tail_code(unsigned cpu, unsigned idx)
{
    return ((cpu + 1) << PV_Q_IDX_BITS) | idx;
}

/* This CPU's node array (PV_QNODES_PER_CPU entries). */
static inline struct pv_lock_qnode *pv_q_cpu_nodes(unsigned cpu)
{
    return &pv_lock_cfg.plat->qnodes[cpu * PV_QNODES_PER_CPU];
}

/* The node a non-zero tail code names. */
static inline struct pv_lock_qnode *pv_q_decode(uint32_t code)
{
    unsigned cpu = (code >> PV_Q_IDX_BITS) - 1;

    return &pv_q_cpu_nodes(cpu)[code & PV_Q_IDX_MASK];
}

#endif
