/*
 * tlb=hv (issue 17 item 3): a remote TLB flush done by the hypervisor, as
 * Hyper-V's HvFlushVirtualAddressSpace does it. One hypercall names the
 * targets; each gets a flag that its pCPU consumes just before the next
 * entry (asking the backend to flush the vCPU's ASID/VPID); a target that
 * may be in guest mode right now is poked out and waited for. So when the
 * hypercall returns, no target can run guest code on its old translations,
 * and no vCPU ever waits for another vCPU to be scheduled.
 *
 * The handshake with the run loop (hv/virt/run.c) is a Dekker pair, both
 * sides sequentially consistent: the target makes run_seq odd, then reads
 * its flag; the caller sets the flag, then reads run_seq. Either the target
 * sees the flag before it enters, or the caller sees run_seq odd and waits
 * until it changes (the target left guest mode; it re-reads the flag before
 * any later entry). The poke goes through sched_notify, whose notify makes
 * an entry that has not yet happened abort instead.
 */
#include "tlb_hv.h"

#include "pv_abi.h"
#include "../core/panic.h"
#include "../core/time.h"
#include "../core/x86.h"
#include "../virt/vcpu.h"
#include "../virt/vm.h"

#define FLUSH_FLAGS_ALLOWED 0ull    /* no flag is defined yet */

/* A poked target leaves guest mode at the host interrupt the poke sends,
   which no guest can mask (SVM's INTR intercept, VMX's external-interrupt
   exiting). Seconds of TSC time without it is a lost poke, a hypervisor
   bug: the caller panics with the dump instead of spinning for ever. */
#define TARGET_EXIT_LIMIT_NS (5ull * 1000 * 1000 * 1000)

/* Guest-controlled mask and flags: only the VM's own vCPUs, no flags. */
static int64_t check_args(const struct vcpu *v, uint64_t mask, uint64_t flags)
{
    uint32_t n = v->vm->nr_vcpus;
    uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;

    if (flags & ~FLUSH_FLAGS_ALLOWED)
        return -PV_EINVAL;
    if (mask & ~all)
        return -PV_EINVAL;
    return 0;
}

int64_t tlb_hv_flush(struct vcpu *v, uint64_t mask, uint64_t flags)
{
    struct vm *vm = v->vm;
    uint64_t seen[PV_MAX_VCPUS];   /* an odd run_seq: wait for it to change */
    uint64_t wait = 0, t0, limit;
    int64_t newly = 0, err = check_args(v, mask, flags);

    if (err)
        return err;
    for (uint64_t m = mask; m; m &= m - 1) {
        struct vcpu *t = &vm->vcpus[__builtin_ctzll(m)];

        if (!__atomic_exchange_n(&t->tlb_hv_flush, 1, __ATOMIC_SEQ_CST)) {
            newly++;
            t->stats.tlb_hv_requested++;
        }
    }
    for (uint64_t m = mask; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        struct vcpu *t = &vm->vcpus[i];
        uint64_t s = __atomic_load_n(&t->run_seq, __ATOMIC_SEQ_CST);

        if (t == v || !(s & 1))
            continue;   /* not in guest mode: it reads the flag first */
        seen[i] = s;
        wait |= 1ull << i;
        t->stats.tlb_hv_forced_exits++;
        sched_notify(&t->se, 0);
    }
    t0 = rdtsc();
    limit = ns_to_cycles(TARGET_EXIT_LIMIT_NS);
    while (wait) {
        for (uint64_t m = wait; m; m &= m - 1) {
            unsigned i = (unsigned)__builtin_ctzll(m);

            if (__atomic_load_n(&vm->vcpus[i].run_seq, __ATOMIC_SEQ_CST) != seen[i])
                wait &= ~(1ull << i);
        }
        if (wait && rdtsc() - t0 > limit)
            panic("tlb=hv: vCPU %u.%u's flush poked vCPUs 0x%llx of its VM, which "
                  "did not leave guest mode within %llu ms", vm->id, v->id,
                  (unsigned long long)wait,
                  (unsigned long long)(TARGET_EXIT_LIMIT_NS / 1000000));
        cpu_relax();
    }
    v->stats.tlb_hv_wait_cycles += rdtsc() - t0;
    return newly;
}

void tlb_hv_before_entry(struct vcpu *v)
{
    if (!__atomic_load_n(&v->tlb_hv_flush, __ATOMIC_SEQ_CST))
        return;
#ifndef PVHV_MUTANT_skip_hv_flush       /* planted bug: make test-mutants */
    if (__atomic_exchange_n(&v->tlb_hv_flush, 0, __ATOMIC_SEQ_CST)) {
        virt->request_tlb_flush(v);
        v->stats.tlb_hv_flushes++;
    }
#endif
}
