/*
 * The lock kind is chosen once at boot (or per test on the host); every
 * pv_spin_* call goes through that kind's operations table so callers never
 * name a kind.
 */
#include <stddef.h>

#include "lock_impl.h"
#include "pvstring.h"

struct pv_lock_cfg pv_lock_cfg;

static const struct pv_lock_ops *const kind_ops[PV_LOCK_KINDS] = {
    [PV_LOCK_TICKET] = &pv_lock_ticket_ops,
    [PV_LOCK_PVTICKET] = &pv_lock_pvticket_ops,
    [PV_LOCK_TAS] = &pv_lock_tas_ops,
    [PV_LOCK_MCS] = &pv_lock_mcs_ops,
    [PV_LOCK_QSPIN] = &pv_lock_qspin_ops,
    [PV_LOCK_PVQSPIN] = &pv_lock_pvqspin_ops,
    [PV_LOCK_PTICKET] = &pv_lock_pticket_ops,
};

static const char *const kind_names[PV_LOCK_KINDS] = {
    [PV_LOCK_TICKET] = "ticket",
    [PV_LOCK_PVTICKET] = "pvticket",
    [PV_LOCK_TAS] = "tas",
    [PV_LOCK_MCS] = "mcs",
    [PV_LOCK_QSPIN] = "qspin",
    [PV_LOCK_PVQSPIN] = "pvqspin",
    [PV_LOCK_PTICKET] = "pticket",
};

static const struct pv_lock_ops *cur_ops = &pv_lock_ticket_ops;

/* Used when the caller passes no stats array, so counting never needs a
   NULL check on the lock paths. */
static struct pv_lock_cpu_stats spare_stats[PV_LOCK_MAX_CPUS];

int pv_lock_setup(enum pv_lock_kind kind, const struct pv_lock_platform *plat,
                  uint32_t spin_threshold, struct pv_lock_cpu_stats *stats)
{
    int ret = 0;

    if ((unsigned)kind >= PV_LOCK_KINDS ||
        (kind_ops[kind]->needs_qnodes && !plat->qnodes)) {
        kind = PV_LOCK_TICKET;
        ret = -1;
    }
    pv_lock_cfg.plat = plat;
    pv_lock_cfg.spin_threshold =
        spin_threshold ? spin_threshold : PV_SPIN_THRESHOLD_DEFAULT;
    pv_lock_cfg.stats = stats ? stats : spare_stats;
    pv_lock_cfg.preempt_check = 0;
    cur_ops = kind_ops[kind];
    if (cur_ops->reset)
        cur_ops->reset();
    /* Publish the whole configuration before any CPU uses a lock. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return ret;
}

void pv_lock_set_preempt_check(int on)
{
    pv_lock_cfg.preempt_check = on;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

struct pv_lock_cpu_stats *pv_lock_my_stats(void)
{
    return &pv_lock_cfg.stats[pv_lock_cfg.plat->cpu_id()];
}

const char *pv_lock_kind_name(enum pv_lock_kind kind)
{
    if ((unsigned)kind >= PV_LOCK_KINDS)
        return "?";
    return kind_names[kind];
}

int pv_lock_kind_parse(const char *name, enum pv_lock_kind *kind)
{
    for (unsigned k = 0; k < PV_LOCK_KINDS; k++) {
        if (strcmp(name, kind_names[k]) == 0) {
            *kind = (enum pv_lock_kind)k;
            return 0;
        }
    }
    return -1;
}

void pv_spin_lock(pv_spinlock_t *lock)
{
    cur_ops->lock(lock);
}

void pv_spin_unlock(pv_spinlock_t *lock)
{
    cur_ops->unlock(lock);
}

int pv_spin_is_locked(const pv_spinlock_t *lock)
{
    return cur_ops->is_locked(lock);
}
