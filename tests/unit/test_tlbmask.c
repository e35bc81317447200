/*
 * The pv TLB flush's target choice (libpv/tlbmask.c): which targets are
 * left to the hypervisor, that only a preempted target is, that the CAS
 * never sets FLUSH_TLB on a running vCPU, and that, with a "hypervisor"
 * thread preempting and resuming vCPUs under the senders' feet, the flushes
 * the senders count as deferred are exactly the flushes-on-entry it does.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pv_abi.h"
#include "rng.h"
#include "tlbmask.h"

#define NCPU        8
#define SENDERS     3
#define SENDER_OPS  200000
#define P           PV_VCPU_PREEMPTED
#define F           PV_VCPU_FLUSH_TLB

static uint8_t bytes[PV_TLB_MAX_CPUS];
static uint8_t *ptrs[PV_TLB_MAX_CPUS];

static void setup_bytes(const uint8_t *init, unsigned n)
{
    for (unsigned i = 0; i < PV_TLB_MAX_CPUS; i++) {
        bytes[i] = i < n ? init[i] : 0;
        ptrs[i] = &bytes[i];
    }
}

static void test_none_preempted_ipis_all(void **state)
{
    static const uint8_t init[4] = { 0, 0, 0, 0 };
    struct pv_tlb_defer r;

    (void)state;
    setup_bytes(init, 4);
    r = pv_tlb_defer_preempted(ptrs, 4, 0xE);
    assert_int_equal(r.ipi_mask, 0xE);
    assert_int_equal(r.skipped, 0);
    assert_int_equal(r.skipped_mask, 0);
    assert_int_equal(r.deferred, 0);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(bytes[i], 0);
}

static void test_preempted_are_deferred(void **state)
{
    /* vCPU 1 and 3 preempted, 2 running, 0 preempted but not a target. */
    static const uint8_t init[4] = { P, P, 0, P };
    struct pv_tlb_defer r;

    (void)state;
    setup_bytes(init, 4);
    r = pv_tlb_defer_preempted(ptrs, 4, 0xE);
    assert_int_equal(r.ipi_mask, 0x4);
    assert_int_equal(r.skipped_mask, 0xA);
    assert_int_equal(r.skipped, 2);
    assert_int_equal(r.deferred_mask, 0xA);
    assert_int_equal(r.deferred, 2);
    assert_int_equal(bytes[0], P);          /* not in the mask: untouched */
    assert_int_equal(bytes[1], P | F);
    assert_int_equal(bytes[2], 0);
    assert_int_equal(bytes[3], P | F);
}

static void test_flag_already_set_skips_without_counting(void **state)
{
    static const uint8_t init[3] = { 0, P | F, P };
    struct pv_tlb_defer r;

    (void)state;
    setup_bytes(init, 3);
    r = pv_tlb_defer_preempted(ptrs, 3, 0x6);
    assert_int_equal(r.ipi_mask, 0);
    assert_int_equal(r.skipped, 2);
    assert_int_equal(r.deferred, 1);
    assert_int_equal(r.deferred_mask, 0x4);
    /* A second shootdown before vCPU 2 runs: skipped again, not counted. */
    r = pv_tlb_defer_preempted(ptrs, 3, 0x6);
    assert_int_equal(r.ipi_mask, 0);
    assert_int_equal(r.skipped, 2);
    assert_int_equal(r.deferred, 0);
    assert_int_equal(bytes[1], P | F);
    assert_int_equal(bytes[2], P | F);
}

static void test_flush_flag_alone_is_not_preempted(void **state)
{
    /* FLUSH_TLB without PREEMPTED never happens with a correct hypervisor;
       the sender must not trust it and IPIs. */
    static const uint8_t init[2] = { 0, F };
    struct pv_tlb_defer r;

    (void)state;
    setup_bytes(init, 2);
    r = pv_tlb_defer_preempted(ptrs, 2, 0x2);
    assert_int_equal(r.ipi_mask, 0x2);
    assert_int_equal(r.skipped, 0);
    assert_int_equal(bytes[1], F);
}

static void test_missing_area_and_out_of_range_bits_are_ipid(void **state)
{
    static const uint8_t init[4] = { P, P, P, P };
    uint64_t mask = (1ull << 1) | (1ull << 2) | (1ull << 5) | (1ull << 63);
    struct pv_tlb_defer r;

    (void)state;
    setup_bytes(init, 4);
    ptrs[2] = NULL;                         /* vCPU 2 never registered */
    r = pv_tlb_defer_preempted(ptrs, 4, mask);
    assert_int_equal(r.skipped_mask, 1ull << 1);
    assert_int_equal(r.ipi_mask, mask & ~(1ull << 1));
    assert_int_equal(bytes[2], P);
    assert_int_equal(bytes[5], 0);
    /* nr above the mask width is capped, not overrun. */
    setup_bytes(init, 4);
    r = pv_tlb_defer_preempted(ptrs, 1000, 0x3);
    assert_int_equal(r.ipi_mask, 0);
    assert_int_equal(r.deferred, 2);
    /* Empty mask: nothing happens. */
    r = pv_tlb_defer_preempted(ptrs, 4, 0);
    assert_int_equal(r.ipi_mask, 0);
    assert_int_equal(r.skipped, 0);
}

/* ---- concurrent: senders against a hypervisor that preempts/resumes ---- */

static volatile int senders_done;
static uint64_t hv_flushes;             /* flushes on entry */
static uint64_t hv_flag_on_running;     /* FLUSH_TLB found on a running vCPU */
static uint64_t sent_deferred[SENDERS], sent_skipped[SENDERS];
static uint64_t bad_partitions;         /* checked in the main thread */

/* The hypervisor's two operations on the byte (DESIGN §4). */
static void hv_preempt(unsigned cpu)
{
    /* The byte is 0 while the vCPU runs: nothing may have been set. */
    if (__atomic_exchange_n(&bytes[cpu], P, __ATOMIC_ACQ_REL) != 0)
        hv_flag_on_running++;
}

static void hv_resume(unsigned cpu)
{
    if (__atomic_exchange_n(&bytes[cpu], 0, __ATOMIC_ACQ_REL) & F)
        hv_flushes++;
}

static void *hv_thread(void *arg)
{
    uint64_t rng = 99;
    int running[NCPU];

    (void)arg;
    for (unsigned i = 0; i < NCPU; i++)
        running[i] = 1;
    while (!__atomic_load_n(&senders_done, __ATOMIC_ACQUIRE)) {
        unsigned cpu = (unsigned)pv_rng_below(&rng, NCPU);

        if (running[cpu])
            hv_preempt(cpu);
        else
            hv_resume(cpu);
        running[cpu] = !running[cpu];
    }
    /* Every preempted vCPU runs again before the VM ends. */
    for (unsigned cpu = 0; cpu < NCPU; cpu++)
        if (!running[cpu])
            hv_resume(cpu);
    return NULL;
}

static void *sender_thread(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = 1000 + id;

    for (unsigned i = 0; i < SENDER_OPS; i++) {
        uint64_t mask = pv_rng_next(&rng) & ((1ull << NCPU) - 1);
        struct pv_tlb_defer r = pv_tlb_defer_preempted(ptrs, NCPU, mask);

        /* The three masks partition the request. */
        if ((r.ipi_mask | r.skipped_mask) != mask ||
            (r.ipi_mask & r.skipped_mask) ||
            (r.deferred_mask & ~r.skipped_mask))
            __atomic_add_fetch(&bad_partitions, 1, __ATOMIC_RELAXED);
        sent_deferred[id] += r.deferred;
        sent_skipped[id] += r.skipped;
    }
    return NULL;
}

static void test_concurrent_deferred_equals_flushes_on_entry(void **state)
{
    pthread_t hv, s[SENDERS];
    uint64_t deferred = 0, skipped = 0;

    (void)state;
    setup_bytes((const uint8_t[NCPU]){ 0 }, NCPU);
    senders_done = 0;
    assert_int_equal(pthread_create(&hv, NULL, hv_thread, NULL), 0);
    for (unsigned i = 0; i < SENDERS; i++)
        assert_int_equal(pthread_create(&s[i], NULL, sender_thread,
                                        (void *)(uintptr_t)i), 0);
    for (unsigned i = 0; i < SENDERS; i++)
        pthread_join(s[i], NULL);
    __atomic_store_n(&senders_done, 1, __ATOMIC_RELEASE);
    pthread_join(hv, NULL);
    for (unsigned i = 0; i < SENDERS; i++) {
        deferred += sent_deferred[i];
        skipped += sent_skipped[i];
    }
    assert_int_equal(bad_partitions, 0);
    assert_int_equal(hv_flag_on_running, 0);
    assert_int_equal(deferred, hv_flushes);
    assert_true(skipped >= deferred);
    assert_true(deferred > 0);  /* the race was really exercised */
    for (unsigned cpu = 0; cpu < NCPU; cpu++)
        assert_int_equal(bytes[cpu], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none_preempted_ipis_all),
        cmocka_unit_test(test_preempted_are_deferred),
        cmocka_unit_test(test_flag_already_set_skips_without_counting),
        cmocka_unit_test(test_flush_flag_alone_is_not_preempted),
        cmocka_unit_test(test_missing_area_and_out_of_range_bits_are_ipid),
        cmocka_unit_test(test_concurrent_deferred_equals_flushes_on_entry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
