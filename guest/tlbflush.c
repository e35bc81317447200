/*
 * flush_tlb_others: one request slot per sender ({range, pending targets}),
 * one IPI vector for all. A target's handler serves every slot that names it:
 * flushes the range, then clears its bit; the sender waits for pending == 0.
 * The range is written before pending is published and not touched again
 * until pending is 0, so a handler never reads a half-written request.
 */
#include "tlbflush.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
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
    uintptr_t start, end;
    uint64_t pending;           /* bit i: vCPU i has not flushed yet */
} __attribute__((aligned(64)));

static struct flush_req reqs[PV_MAX_VCPUS];
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

/* Interrupt gate: runs with IF=0 and never waits for anything. */
static void flush_irq(struct isr_frame *f)
{
    unsigned me = this_cpu();
    uint64_t bit = 1ull << me;

    (void)f;
    __atomic_add_fetch(&irqs[me], 1, __ATOMIC_RELAXED);
    for (unsigned s = 0; s < env.bi->nr_vcpus; s++) {
        struct flush_req *r = &reqs[s];

        if (!(__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE) & bit))
            continue;
        tlb_flush_local(r->start, r->end);
        __atomic_and_fetch(&r->pending, ~bit, __ATOMIC_ACQ_REL);
    }
}

void tlbflush_init(void)
{
    idt_set_handler(VEC_TLB_FLUSH, flush_irq);
}

const char *tlbflush_mode_name(enum tlb_mode m)
{
    return m == TLB_PV ? "pv" : "native";
}

enum tlb_mode tlbflush_mode(enum tlb_mode asked)
{
    const char *why = 0;

    if (asked != TLB_PV)
        return TLB_NATIVE;
    if (!pv_has(PV_FEATURE_STEAL_TIME))
        why = "steal time (PV_FEATURE_STEAL_TIME)";
    else if (!pv_has(PV_FEATURE_PV_TLB_FLUSH))
        why = "PV_FEATURE_PV_TLB_FLUSH";
    else if (!steal_registered(this_cpu()))
        why = "a registered steal-time area";
    if (!why)
        return TLB_PV;
    if (!__atomic_exchange_n(&said_pv_unavailable, 1, __ATOMIC_ACQ_REL))
        kprintf("tlb: tlb=pv needs %s, which %s; flushing like native\n",
                why, env.pv ? "this pvhv does not offer"
                            : "a native run does not have");
    return TLB_NATIVE;
}

static unsigned bits(uint64_t m)
{
    unsigned n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

void flush_tlb_others(uint64_t mask, uintptr_t start, uintptr_t end,
                      enum tlb_mode mode, struct tlb_flush_stats *st)
{
    unsigned me = this_cpu(), n = env.bi->nr_vcpus;
    struct flush_req *r = &reqs[me];
    uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;
    uint64_t deadline;

    mask &= all & ~(1ull << me);
    st->shootdowns++;
    if (mode == TLB_PV && mask) {
        uint8_t *bytes[PV_MAX_VCPUS];
        struct pv_tlb_defer d;

        for (unsigned i = 0; i < n; i++)
            bytes[i] = steal_preempted_byte(i);
        d = pv_tlb_defer_preempted(bytes, n, mask);
        mask = d.ipi_mask;
        st->targets_skipped += d.skipped;
        st->deferred_flushes += d.deferred;
        for (uint64_t m = d.deferred_mask; m; m &= m - 1)
            __atomic_add_fetch(&deferred_received[__builtin_ctzll(m)], 1,
                               __ATOMIC_RELAXED);
    }
    if (!mask)
        return;
    r->start = start;
    r->end = end;
    __atomic_store_n(&r->pending, mask, __ATOMIC_RELEASE);
    if (smp_send_ipi(mask, 0, VEC_TLB_FLUSH) < 0)
        guest_fail(FAIL_SMP, "tlb: PV_HC_SEND_IPI refused a flush IPI");
    st->ipis_sent += bits(mask);
    deadline = rdtsc() + tsc_ms_to_cycles(ACK_TIMEOUT_MS);
    struct tlb_wait w;
    uint64_t left;
    tlbwait_begin(&w, mask);
    while ((left = __atomic_load_n(&r->pending, __ATOMIC_ACQUIRE))) {
        tlbwait_poll(&w, left);
        if (rdtsc() > deadline) {
            kprintf("tlb: vcpu %u: flush of 0x%lx..0x%lx still unacked by "
                    "0x%lx after %u ms\n", me, start, end,
                    __atomic_load_n(&r->pending, __ATOMIC_ACQUIRE),
                    ACK_TIMEOUT_MS);
            guest_fail(FAIL_SMP, "tlb: a flush IPI was never acknowledged");
        }
        cpu_relax();
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
