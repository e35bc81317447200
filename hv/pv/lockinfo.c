/*
 * PV_HC_LOCKINFO and the preemption-time read of the page. The GPA is checked
 * once at registration (aligned, wholly inside guest RAM) and translated
 * again at every use, so nothing the guest later writes there can point the
 * hypervisor outside the VM; the page's contents are only counted, never
 * trusted for anything else.
 */
#include "lockinfo.h"

#include "pv_abi.h"
#include "../trace/trace.h"
#include "../virt/vcpu.h"
#include "../virt/vm.h"

static struct pv_lockinfo *area(const struct vcpu *v)
{
    if (!v->lockinfo_on)
        return 0;
    return vm_gpa_to_hva(v->vm, v->lockinfo_gpa, sizeof(struct pv_lockinfo));
}

int64_t lockinfo_register(struct vcpu *v, uint64_t gpa, uint64_t flags)
{
    if (flags & ~PV_LOCKINFO_ENABLE)
        return -PV_EINVAL;
    if (!(flags & PV_LOCKINFO_ENABLE)) {
        v->lockinfo_on = 0;
        return 0;
    }
    if (gpa & (PV_LOCKINFO_ALIGN - 1))
        return -PV_EINVAL;
    if (!vm_gpa_to_hva(v->vm, gpa, sizeof(struct pv_lockinfo)))
        return -PV_EFAULT;
    v->lockinfo_gpa = gpa;
    v->lockinfo_on = 1;
    return 0;
}

/* One lock xadd on the guest's word: the old low half is what the guest
   had published at the instant of the preemption, and the high half the
   guest reads back with its own xadd counts this preemption exactly once. */
static uint32_t count_preemption(uint64_t *word)
{
    uint64_t old = __atomic_fetch_add(word, PV_LOCKINFO_PREEMPT_ONE, __ATOMIC_SEQ_CST);
    return (uint32_t)(old & PV_LOCKINFO_COUNT_MASK);
}

int lockinfo_holds_lock(const struct vcpu *v)
{
    struct pv_lockinfo *li = area(v);
    return li && (__atomic_load_n(&li->held, __ATOMIC_ACQUIRE) & PV_LOCKINFO_COUNT_MASK);
}

void lockinfo_on_preempt(struct vcpu *v)
{
    struct pv_lockinfo *li = area(v);
    if (!li)
        return;
    uint32_t held = count_preemption(&li->held);
    uint32_t waiting = count_preemption(&li->waiting);
    if (held) {
        v->stats.lhp++;
        trace(TR_LHP, v->vm->id, v->id, held);
    }
    if (waiting) {
        v->stats.waiter_preempts++;
        trace(TR_WPRE, v->vm->id, v->id, waiting);
    }
}
