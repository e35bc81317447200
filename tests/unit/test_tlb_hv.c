/*
 * tlb=hv's hypervisor side (hv/pv/tlb_hv.c) on the host with a fake backend
 * that records flush requests and a fake sched_notify: every target of a
 * PV_HC_FLUSH_TLB gets its guest TLB flushed at its next entry, a target in
 * guest mode is poked and the call returns only after it left guest mode,
 * and hostile masks and flags flag nobody. No emulator can show a missed
 * flush (both flush their TLB at every world switch, DESIGN.md §6), so this
 * is the test that fails when the flush before entry is skipped (mutant
 * skip_hv_flush).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pv/tlb_hv.h"
#include "virt/vcpu.h"
#include "virt/vm.h"

#define NR 4
#define WATCHDOG_S 10      /* a wait that never ends fails the test */

static struct vm fake_vm;
static struct vcpu vcpus[NR];
static unsigned flushes[NR];     /* request_tlb_flush per vCPU */
static unsigned pokes[NR];       /* sched_notify per vCPU */

static void fake_request_tlb_flush(struct vcpu *v)
{
    __atomic_add_fetch(&flushes[v->id], 1, __ATOMIC_SEQ_CST);
}

/* The fake clock: a TSC cycle is a nanosecond, so the host's faster TSC
   ends the wait limit of 5 s in about 2 s of the test's time. */
uint64_t ns_to_cycles(uint64_t ns) { return ns; }

/* The real panic dumps and halts; this one returns to the test. */
static jmp_buf panicked;
static int panic_expected;
static char panic_msg[256];

void panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
    va_end(ap);
    if (!panic_expected)
        fail_msg("unexpected panic: %s", panic_msg);
    longjmp(panicked, 1);
}

static const struct virt_ops fake_ops = {
    .name = "fake",
    .request_tlb_flush = fake_request_tlb_flush,
};
const struct virt_ops *virt = &fake_ops;

/* The real one IPIs the pCPU of a running vCPU; the fake target thread
   below leaves guest mode when it sees notify. */
void sched_notify(struct sched_entity *e, int kick)
{
    assert_int_equal(kick, 0);      /* a flush never wakes a halted vCPU */
    __atomic_add_fetch(&pokes[vcpu_of(e)->id], 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&e->notify, 1, __ATOMIC_SEQ_CST);
}

static int setup(void **state)
{
    (void)state;
    memset(&fake_vm, 0, sizeof(fake_vm));
    memset(vcpus, 0, sizeof(vcpus));
    memset(flushes, 0, sizeof(flushes));
    memset(pokes, 0, sizeof(pokes));
    fake_vm.nr_vcpus = NR;
    fake_vm.vcpus = vcpus;
    for (unsigned i = 0; i < NR; i++) {
        vcpus[i].vm = &fake_vm;
        vcpus[i].id = i;
    }
    alarm(WATCHDOG_S);
    return 0;
}

/* One entry as hv/virt/run.c does it, leaving guest mode at once. */
static void enter_and_exit(struct vcpu *v)
{
    __atomic_add_fetch(&v->run_seq, 1, __ATOMIC_SEQ_CST);
    tlb_hv_before_entry(v);
    __atomic_add_fetch(&v->run_seq, 1, __ATOMIC_SEQ_CST);
}

static void test_targets_out_of_guest_flush_at_their_next_entry(void **state)
{
    (void)state;
    assert_int_equal(tlb_hv_flush(&vcpus[0], 0x6, 0), 2);   /* vCPUs 1, 2 */
    assert_int_equal(pokes[1] + pokes[2], 0);   /* not in guest: no poke */
    assert_int_equal(flushes[1] + flushes[2], 0);   /* not before they enter */
    enter_and_exit(&vcpus[1]);
    enter_and_exit(&vcpus[2]);
    enter_and_exit(&vcpus[3]);
    assert_int_equal(flushes[1], 1);
    assert_int_equal(flushes[2], 1);
    assert_int_equal(flushes[3], 0);            /* not named */
    assert_int_equal(flushes[0], 0);
    enter_and_exit(&vcpus[1]);                  /* once per request */
    assert_int_equal(flushes[1], 1);
    assert_int_equal(vcpus[1].stats.tlb_hv_requested, 1);
    assert_int_equal(vcpus[1].stats.tlb_hv_flushes, 1);
}

static void test_requests_before_one_entry_coalesce_and_counts_match(void **state)
{
    (void)state;
    assert_int_equal(tlb_hv_flush(&vcpus[0], 0x2, 0), 1);
    assert_int_equal(tlb_hv_flush(&vcpus[3], 0x2, 0), 0);   /* already pending */
    enter_and_exit(&vcpus[1]);
    assert_int_equal(flushes[1], 1);
    assert_int_equal(vcpus[1].stats.tlb_hv_requested, vcpus[1].stats.tlb_hv_flushes);
    assert_int_equal(tlb_hv_flush(&vcpus[0], 0x2, 0), 1);   /* a new one after it */
    enter_and_exit(&vcpus[1]);
    assert_int_equal(flushes[1], 2);
}

static void test_caller_in_the_mask_flushes_itself_without_waiting(void **state)
{
    (void)state;
    /* The caller is in its exit handler: run_seq even. */
    assert_int_equal(tlb_hv_flush(&vcpus[2], 0x4, 0), 1);
    assert_int_equal(pokes[2], 0);
    enter_and_exit(&vcpus[2]);
    assert_int_equal(flushes[2], 1);
}

/* A target in guest mode: it entered before the flag was set, so only an
   exit makes it re-read the flag. */
static volatile int target_in_guest, target_exited;

static void *target_thread(void *arg)
{
    struct vcpu *v = arg;

    __atomic_add_fetch(&v->run_seq, 1, __ATOMIC_SEQ_CST);
    tlb_hv_before_entry(v);                     /* nothing asked yet */
    __atomic_store_n(&target_in_guest, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&v->se.notify, __ATOMIC_SEQ_CST))
        usleep(100);                            /* "guest code" until poked */
    usleep(20000);                              /* a slow exit */
    __atomic_store_n(&target_exited, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&v->run_seq, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&v->se.notify, 0, __ATOMIC_SEQ_CST);
    enter_and_exit(v);                          /* the next entry */
    return 0;
}

static void test_running_target_is_poked_and_waited_for(void **state)
{
    pthread_t th;

    (void)state;
    target_in_guest = target_exited = 0;
    assert_int_equal(pthread_create(&th, 0, target_thread, &vcpus[1]), 0);
    while (!__atomic_load_n(&target_in_guest, __ATOMIC_SEQ_CST))
        usleep(100);
    assert_int_equal(flushes[1], 0);
    assert_int_equal(tlb_hv_flush(&vcpus[0], 0x2, 0), 1);
    /* Returned: the target has left guest mode, so it cannot run guest
       code again before its flag is read. */
    assert_int_equal(target_exited, 1);
    assert_int_equal(pokes[1], 1);
    assert_int_equal(vcpus[1].stats.tlb_hv_forced_exits, 1);
    assert_int_equal(pthread_join(th, 0), 0);
    assert_int_equal(flushes[1], 1);            /* at the entry after the exit */
}

/* A target that never leaves guest mode (a lost poke) ends the wait with a
   panic naming it, not an endless spin. */
static void test_target_that_never_exits_panics(void **state)
{
    (void)state;
    fake_vm.id = 1;
    vcpus[2].run_seq = 1;                   /* in guest mode, and stays */
    panic_msg[0] = 0;
    panic_expected = 1;
    if (!setjmp(panicked)) {
        tlb_hv_flush(&vcpus[0], 0x4, 0);
        fail_msg("tlb_hv_flush returned while vCPU 2 stayed in guest mode");
    }
    panic_expected = 0;
    assert_string_equal(panic_msg, "tlb=hv: vCPU 1.0's flush poked vCPUs 0x4 of its VM, "
                        "which did not leave guest mode within 5000 ms");
    assert_int_equal(pokes[2], 1);
}

static void test_hostile_masks_and_flags_flag_nobody(void **state)
{
    (void)state;
    assert_int_equal(tlb_hv_flush(&vcpus[0], 1ull << NR, 0), -PV_EINVAL);
    assert_int_equal(tlb_hv_flush(&vcpus[0], 0x2 | 1ull << 63, 0), -PV_EINVAL);
    assert_int_equal(tlb_hv_flush(&vcpus[0], ~0ull, 0), -PV_EINVAL);
    assert_int_equal(tlb_hv_flush(&vcpus[0], 0x2, 1), -PV_EINVAL);
    assert_int_equal(tlb_hv_flush(&vcpus[0], 0x2, 1ull << 63), -PV_EINVAL);
    assert_int_equal(tlb_hv_flush(&vcpus[0], 0, 0), 0);     /* nobody: fine */
    for (unsigned i = 0; i < NR; i++) {
        enter_and_exit(&vcpus[i]);
        assert_int_equal(flushes[i], 0);
        assert_int_equal(vcpus[i].stats.tlb_hv_requested, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_targets_out_of_guest_flush_at_their_next_entry, setup),
        cmocka_unit_test_setup(test_requests_before_one_entry_coalesce_and_counts_match, setup),
        cmocka_unit_test_setup(test_caller_in_the_mask_flushes_itself_without_waiting, setup),
        cmocka_unit_test_setup(test_running_target_is_poked_and_waited_for, setup),
        cmocka_unit_test_setup(test_target_that_never_exits_panics, setup),
        cmocka_unit_test_setup(test_hostile_masks_and_flags_flag_nobody, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
