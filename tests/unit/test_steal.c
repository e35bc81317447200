/*
 * The hypervisor's entry path for steal time and the deferred pv TLB flush
 * (hv/pv/steal.c), on the host with a fake backend that records flush
 * requests. No emulator can show a missed deferred flush (QEMU TCG and
 * Bochs both flush their TLB at every world switch, DESIGN.md §6), so this
 * is the test that fails when the flush on entry is skipped (issue 17 item
 * 4b, issue 18's skip_entry_flush mutant).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pv/steal.h"
#include "virt/vcpu.h"
#include "virt/vm.h"

#include "fake_guest.h"
#include "core/time.h"

#define AREA_GPA      0x1000u         /* 64-byte aligned, inside the VM */
#define NS_PER_CYCLE  3               /* the fake clock: 1 cycle = 3 ns */

static unsigned flush_requests;
static struct vcpu *flushed_vcpu;

/* --- the fakes steal.c links against ----------------------------------- */

static void fake_request_tlb_flush(struct vcpu *v)
{
    flush_requests++;
    flushed_vcpu = v;
}

static const struct virt_ops fake_ops = {
    .name = "fake",
    .request_tlb_flush = fake_request_tlb_flush,
};
const struct virt_ops *virt = &fake_ops;

uint64_t cycles_to_ns(uint64_t cycles) { return cycles * NS_PER_CYCLE; }

/* --- helpers ----------------------------------------------------------- */

static struct pv_steal_time *area(void)
{
    return (struct pv_steal_time *)(guest_ram + AREA_GPA);
}

static int setup(void **state)
{
    (void)state;
    fake_guest_reset();
    flush_requests = 0;
    flushed_vcpu = NULL;
    assert_int_equal(steal_msr_write(&vcpu, AREA_GPA | PV_STEAL_TIME_ENABLE), 0);
    return 0;
}

/* --- tests ------------------------------------------------------------- */

static void test_flush_left_for_a_preempted_vcpu_is_done_on_entry(void **state)
{
    (void)state;
    steal_on_preempt(&vcpu);
    assert_int_equal(area()->preempted, PV_VCPU_PREEMPTED);
    /* A sender saw PREEMPTED and left the flush to the hypervisor. */
    area()->preempted = PV_VCPU_PREEMPTED | PV_VCPU_FLUSH_TLB;
    steal_on_enter(&vcpu);
    assert_int_equal(flush_requests, 1);
    assert_ptr_equal(flushed_vcpu, &vcpu);
    assert_int_equal(vcpu.stats.tlb_flushes_on_entry, 1);
    assert_int_equal(area()->preempted, 0);
    /* Done once: the next entry has nothing left to flush. */
    steal_on_enter(&vcpu);
    assert_int_equal(flush_requests, 1);
}

static void test_no_flush_without_the_flag(void **state)
{
    (void)state;
    steal_on_preempt(&vcpu);
    steal_on_enter(&vcpu);
    assert_int_equal(flush_requests, 0);
    assert_int_equal(vcpu.stats.tlb_flushes_on_entry, 0);
    assert_int_equal(area()->preempted, 0);
}

static void test_every_deferred_flush_is_counted_once(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 100; i++) {
        steal_on_preempt(&vcpu);
        if (i % 3 == 0)
            area()->preempted |= PV_VCPU_FLUSH_TLB;
        steal_on_enter(&vcpu);
    }
    assert_int_equal(flush_requests, 34);
    assert_int_equal(vcpu.stats.tlb_flushes_on_entry, 34);
}

static void test_steal_published_from_runnable_time(void **state)
{
    (void)state;
    uint32_t v0 = area()->version;
    assert_int_equal(v0 % 2, 0);
    vcpu.se.stats.state_cycles[VCPU_RUNNABLE] = 1000;
    vcpu.se.stats.state_cycles[VCPU_RUNNING] = 5555;   /* not steal */
    steal_on_enter(&vcpu);
    assert_int_equal(area()->steal, 1000 * NS_PER_CYCLE);
    assert_int_equal(area()->version % 2, 0);
    assert_true(area()->version > v0);
    vcpu.se.stats.state_cycles[VCPU_RUNNABLE] = 4000;
    steal_on_enter(&vcpu);
    assert_int_equal(area()->steal, 4000 * NS_PER_CYCLE);
}

static void test_bad_area_refused_and_disabled_area_untouched(void **state)
{
    (void)state;
    assert_int_equal(steal_msr_write(&vcpu, (AREA_GPA + 8) | PV_STEAL_TIME_ENABLE), -1);
    assert_int_equal(steal_msr_write(&vcpu, FAKE_GUEST_BYTES | PV_STEAL_TIME_ENABLE), -1);
    assert_int_equal(steal_msr_write(&vcpu, AREA_GPA | PV_STEAL_TIME_ENABLE | 2), -1);
    /* The refused writes left the good registration in place. */
    assert_int_equal(steal_msr_read(&vcpu), AREA_GPA | PV_STEAL_TIME_ENABLE);
    assert_int_equal(steal_msr_write(&vcpu, 0), 0);
    area()->preempted = PV_VCPU_PREEMPTED | PV_VCPU_FLUSH_TLB;
    steal_on_enter(&vcpu);
    assert_int_equal(flush_requests, 0);
    assert_int_equal(area()->preempted, PV_VCPU_PREEMPTED | PV_VCPU_FLUSH_TLB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_flush_left_for_a_preempted_vcpu_is_done_on_entry, setup),
        cmocka_unit_test_setup(test_no_flush_without_the_flag, setup),
        cmocka_unit_test_setup(test_every_deferred_flush_is_counted_once, setup),
        cmocka_unit_test_setup(test_steal_published_from_runnable_time, setup),
        cmocka_unit_test_setup(test_bad_area_refused_and_disabled_area_untouched, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
