/*
 * flush_tlb_others: one request slot per sender ({seq, range, targets}),
 * one IPI vector for all, and per (sender, target) the seq of the sender's
 * last request the target served. The sender writes a slot like a seqlock
 * (seq odd while it writes), and only after every target of the previous
 * request acknowledged or was handed over. A handler serves a slot that
 * names it only if it read the range within one unchanged, even seq, and
 * acknowledges with that seq: a late handler of an abandoned request acks
 * an old seq, which the sender no longer waits for (it can never clear an
 * acknowledgement of a newer request, the lost flush of
 * tests/model/pvtlb_sharedmask.pml).
 *
 * pv: targets seen PREEMPTED are left to the hypervisor (FLUSH_TLB by
 * compare-and-swap, libpv/tlbmask.h) both before the IPI and while
 * waiting, so a target preempted before it handled the IPI is not waited
 * for (issue 17 item 2; tests/model/pvtlb.pml). hv: one PV_HC_FLUSH_TLB.
 */
#include "tlbflush.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "hypercall.h"
#include "env.h"
#include "idt.h"
#include "percpu.h"
#include "smp.h"
#include "steal.h"
#include "tlbmask.h"
#include "tsc.h"

/* Past this many pages a CR3 reload is cheaper than INVLPG one by one. */
#define FLUSH_ALL_PAGES 32
#define ACK_TIMEOUT_MS 10000

struct flush_req {
    uint64_t seq;               /* odd while the sender rewrites the slot */
    uintptr_t start, end;
    uint64_t mask;              /* the targets of request seq */
} __attribute__((aligned(64)));

static struct flush_req reqs[PV_MAX_VCPUS];
/* acks[s][t]: seq of sender s's latest request that vCPU t has served. */
static uint64_t acks[PV_MAX_VCPUS][PV_MAX_VCPUS];
static uint64_t irqs[PV_MAX_VCPUS];
static uint64_t deferred_received[PV_MAX_VCPUS];
static int said_pv_unavailable;

void tlb_flush_local(uintptr_t start, uintptr_t end)
{
    if (end <= start || (end - start) / PAGE_SIZE > FLUSH_ALL_PAGES) {
        write_cr3(read_cr3());  /* drops every non-global translation */
        return;
    }
    for (uintptr_t va = start & ~(PAGE_SIZE - 1); va < end; va += PAGE_SIZE)
        invlpg(va);
}

/* Sender s's slot, if it names vCPU me and me has not served it yet. */
static void serve(unsigned s, unsigned me)
{
    struct flush_req *r = &reqs[s];
    uint64_t bit = 1ull << me;

    for (;;) {
        uint64_t seq = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
        uintptr_t start, end;

        if (seq & 1)
            return;     /* being rewritten: its IPI comes after */
        if (!(__atomic_load_n(&r->mask, __ATOMIC_RELAXED) & bit) ||
            __atomic_load_n(&acks[s][me], __ATOMIC_RELAXED) == seq)
            return;
        start = __atomic_load_n(&r->start, __ATOMIC_RELAXED);
        end = __atomic_load_n(&r->end, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) != seq)
            continue;   /* a newer request under us: read it again */
        tlb_flush_local(start, end);
        __atomic_store_n(&acks[s][me], seq, __ATOMIC_RELEASE);
        return;
    }
}

/* Interrupt gate: runs with IF=0 and never waits for anything. */
static void flush_irq(struct isr_frame *f)
{
    unsigned me = this_cpu();

    (void)f;
    __atomic_add_fetch(&irqs[me], 1, __ATOMIC_RELAXED);
    for (unsigned s = 0; s < env.bi->nr_vcpus; s++)
        serve(s, me);
}

void tlbflush_init(void)
{
    idt_set_handler(VEC_TLB_FLUSH, flush_irq);
}

const char *tlbflush_mode_name(enum tlb_mode m)
{
    return m == TLB_PV ? "pv" : m == TLB_HV ? "hv" : "native";
}

enum tlb_mode tlbflush_mode(enum tlb_mode asked)
{
    const char *why = 0;

    if (asked == TLB_NATIVE)
        return TLB_NATIVE;
    if (asked == TLB_HV && !pv_has(PV_FEATURE_HV_TLB_FLUSH))
        why = "PV_FEATURE_HV_TLB_FLUSH";
    else if (asked == TLB_PV && !pv_has(PV_FEATURE_STEAL_TIME))
        why = "steal time (PV_FEATURE_STEAL_TIME)";
    else if (asked == TLB_PV && !pv_has(PV_FEATURE_PV_TLB_FLUSH))
        why = "PV_FEATURE_PV_TLB_FLUSH";
    else if (asked == TLB_PV && !steal_registered(this_cpu()))
        why = "a registered steal-time area";
    if (!why)
        return asked;
    if (!__atomic_exchange_n(&said_pv_unavailable, 1, __ATOMIC_ACQ_REL))
        kprintf("tlb: tlb=%s needs %s, which %s; flushing like native\n",
                tlbflush_mode_name(asked), why,
                env.pv ? "this pvhv does not offer" : "a native run does not have");
    return TLB_NATIVE;
}

static unsigned bits(uint64_t m)
{
    unsigned n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

/* pv: leave the targets in mask whose byte says PREEMPTED to the
   hypervisor (one CAS each); returns the ones that still need us. */
static uint64_t defer_preempted(uint64_t mask, struct tlb_flush_stats *st,
                                uint64_t *skipped)
{
    unsigned n = env.bi->nr_vcpus;
    uint8_t *bytes[PV_MAX_VCPUS];
    struct pv_tlb_defer d;

    for (unsigned i = 0; i < n; i++)
        bytes[i] = (mask >> i) & 1 ? steal_preempted_byte(i) : 0;
    d = pv_tlb_defer_preempted(bytes, n, mask);
    st->deferred_flushes += d.deferred;
    for (uint64_t m = d.deferred_mask; m; m &= m - 1)
        __atomic_add_fetch(&deferred_received[__builtin_ctzll(m)], 1,
                           __ATOMIC_RELAXED);
    *skipped += d.skipped;
    return d.ipi_mask;
}

static void flush_by_hypercall(uint64_t mask, struct tlb_flush_stats *st)
{
    long r = hypercall4(PV_HC_FLUSH_TLB, mask, 0, 0, 0);

    if (r < 0) {
        kprintf("tlb: vcpu %u: PV_HC_FLUSH_TLB(0x%lx) returned %ld\n",
                this_cpu(), mask, r);
        guest_fail(FAIL_SMP, "tlb: the hypervisor refused a remote flush");
    }
    st->hv_targets += bits(mask);
    st->hv_flushes += (uint64_t)r;
}

void flush_tlb_others(uint64_t mask, uintptr_t start, uintptr_t end,
                      enum tlb_mode mode, struct tlb_flush_stats *st)
{
    unsigned me = this_cpu(), n = env.bi->nr_vcpus;
    struct flush_req *r = &reqs[me];
    uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;
    uint64_t deadline, seq, left;
    struct tlb_wait w;

    mask &= all & ~(1ull << me);
    st->shootdowns++;
    if (mode == TLB_HV) {
        if (mask)
            flush_by_hypercall(mask, st);
        return;
    }
    if (mode == TLB_PV && mask)
        mask = defer_preempted(mask, st, &st->targets_skipped);
    if (!mask)
        return;
    /* Every target of the previous request acked or was handed over. */
    seq = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&r->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&r->start, start, __ATOMIC_RELAXED);
    __atomic_store_n(&r->end, end, __ATOMIC_RELAXED);
    __atomic_store_n(&r->mask, mask, __ATOMIC_RELAXED);
    seq += 2;
    __atomic_store_n(&r->seq, seq, __ATOMIC_RELEASE);
    if (smp_send_ipi(mask, 0, VEC_TLB_FLUSH) < 0)
        guest_fail(FAIL_SMP, "tlb: PV_HC_SEND_IPI refused a flush IPI");
    st->ipis_sent += bits(mask);
    deadline = rdtsc() + tsc_ms_to_cycles(ACK_TIMEOUT_MS);
    tlbwait_begin(&w, mask);
    for (left = mask; left; cpu_relax()) {
        for (uint64_t m = left; m; m &= m - 1) {
            unsigned t = (unsigned)__builtin_ctzll(m);
            if (__atomic_load_n(&acks[me][t], __ATOMIC_ACQUIRE) == seq)
                left &= ~(1ull << t);
        }
        /* A target preempted before it served us: the hypervisor's flush
           on entry does it; its late ack (of this seq) is then harmless. */
        if (mode == TLB_PV && left)
            left = defer_preempted(left, st, &st->handed_over);
        tlbwait_poll(&w, left);
        if (left && rdtsc() > deadline) {
            kprintf("tlb: vcpu %u: flush of 0x%lx..0x%lx still unacked by "
                    "0x%lx after %u ms\n", me, start, end, left, ACK_TIMEOUT_MS);
            guest_fail(FAIL_SMP, "tlb: a flush IPI was never acknowledged");
        }
    }
    tlbwait_end(&w, &st->wait);
}

uint64_t tlbflush_irqs(unsigned cpu)
{
    return __atomic_load_n(&irqs[cpu], __ATOMIC_RELAXED);
}

uint64_t tlbflush_deferred_received(unsigned cpu)
{
    return __atomic_load_n(&deferred_received[cpu], __ATOMIC_RELAXED);
}

void tlbflush_reset_counters(void)
{
    for (unsigned i = 0; i < PV_MAX_VCPUS; i++) {
        __atomic_store_n(&irqs[i], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&deferred_received[i], 0, __ATOMIC_RELAXED);
    }
}
