/*
 * The deadlock watchdog's decision (hv/sched/watchdog.c) on the real
 * scheduler with a simulated clock: a VM whose started vCPUs all block
 * with nothing to wake them is a deadlock; one running or being woken is
 * not; and a blocked vCPU whose kick latch was set without the wake-up
 * that must follow it (the planted lost wake-up) is reported once it has
 * been pending longer than the limit, never before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sched/port.h"
#include "sched/sched.h"
#include "sched/watchdog.h"

#define TICK 1000ull
#define LOST_AFTER (100 * TICK)
#define VCPUS 3

static uint64_t now;
static int irq_ok[VCPUS];

void sched_port_init(int one_lock) { (void)one_lock; }
uint64_t sched_port_now(void) { return now; }
unsigned sched_port_this_cpu(void) { return 0; }
void sched_port_poke(unsigned cpu) { (void)cpu; }
void sched_port_resched(unsigned cpu) { (void)cpu; }
uint64_t sched_port_irq_save(void) { return 0; }
void sched_port_irq_restore(uint64_t flags) { (void)flags; }
void sched_port_lock(unsigned l) { (void)l; }
int sched_port_trylock(unsigned l) { (void)l; return 1; }
void sched_port_unlock(unsigned l) { (void)l; }

static struct sched_group group;
static struct sched_entity ents[VCPUS];

static int wakeable(struct sched_entity *e) { return irq_ok[e - ents]; }

/* One VM of VCPUS vCPUs on VCPUS pCPUs; `started` of them started and
   running (the others stay NEW). */
static void setup(unsigned started)
{
    struct sched_params p = { .policy = "rr", .slice_us = 10, .slice_cycles = 10 * TICK,
                              .nr_cpus = VCPUS, .irq_wakeable = wakeable };
    now = 1;
    memset(irq_ok, 0, sizeof(irq_ok));
    memset(&group, 0, sizeof(group));
    memset(ents, 0, sizeof(ents));
    assert_int_equal(sched_init(&p), 0);
    sched_watchdog_reset();
    for (unsigned c = 0; c < VCPUS; c++)
        sched_entity_init(&ents[c], &group, c);
    sched_group_add(&group);
    for (unsigned c = 0; c < started; c++) {
        sched_start(&ents[c]);
        assert_ptr_equal(sched_pick(&sched_cpus[c]), &ents[c]);
    }
}

static enum sched_wd_verdict check(struct sched_wd_report *r)
{
    return sched_watchdog_check(&group, LOST_AFTER, r);
}

static void test_all_blocked_with_nothing_pending_is_a_deadlock(void **state)
{
    struct sched_wd_report r;
    (void)state;
    setup(VCPUS);
    sched_put(&ents[0], SCHED_PUT_BLOCK);
    sched_put(&ents[1], SCHED_PUT_BLOCK);
    assert_int_equal(check(&r), SCHED_WD_OK);        /* vCPU2 still runs */
    sched_put(&ents[2], SCHED_PUT_BLOCK);
    assert_int_equal(check(&r), SCHED_WD_DEADLOCK);
    assert_int_equal(r.index, VCPUS);
}

static void test_never_started_vcpus_cannot_wake_anyone(void **state)
{
    struct sched_wd_report r;
    (void)state;
    setup(1);
    sched_put(&ents[0], SCHED_PUT_BLOCK);
    assert_int_equal(check(&r), SCHED_WD_DEADLOCK);
    assert_int_equal(r.index, 1);
}

static void test_runnable_or_wakeable_vcpu_is_no_deadlock(void **state)
{
    struct sched_wd_report r;
    (void)state;
    setup(2);
    sched_put(&ents[0], SCHED_PUT_BLOCK);
    sched_put(&ents[1], SCHED_PUT_PREEMPT);          /* runnable, not running */
    assert_int_equal(check(&r), SCHED_WD_OK);
    setup(2);
    sched_put(&ents[0], SCHED_PUT_BLOCK);
    sched_put(&ents[1], SCHED_PUT_BLOCK);
    irq_ok[1] = 1;                                   /* IF=1 and a vector: being woken */
    assert_int_equal(check(&r), SCHED_WD_OK);
    group.finished = 1;                              /* a VM that ended is never judged */
    irq_ok[1] = 0;
    assert_int_equal(check(&r), SCHED_WD_OK);
}

/* The planted lost wake-up: the latch set, the wake-up never done. */
static void test_kick_latched_without_wakeup_is_reported_after_the_limit(void **state)
{
    struct sched_wd_report r;
    (void)state;
    setup(2);
    sched_put(&ents[0], SCHED_PUT_BLOCK);
    sched_put(&ents[1], SCHED_PUT_BLOCK);
    ents[1].kicked = 1;
    assert_int_equal(check(&r), SCHED_WD_OK);        /* first seen: in flight */
    now += LOST_AFTER;
    assert_int_equal(check(&r), SCHED_WD_OK);        /* exactly the limit: still OK */
    now += TICK;
    assert_int_equal(check(&r), SCHED_WD_LOST_WAKEUP);
    assert_int_equal(r.index, 1);
    assert_int_equal(r.kicked, 1);
    assert_true(r.pending_cycles > LOST_AFTER);
}

/* A kick done right (sched_notify) wakes the vCPU: nothing to report
   however long the run goes on. */
static void test_kick_with_its_wakeup_is_never_reported(void **state)
{
    struct sched_wd_report r;
    (void)state;
    setup(2);
    sched_put(&ents[0], SCHED_PUT_BLOCK);
    sched_put(&ents[1], SCHED_PUT_BLOCK);
    ents[1].kicked = 1;
    assert_int_equal(check(&r), SCHED_WD_OK);
    sched_notify(&ents[1], 1);
    assert_int_equal(ents[1].state, VCPU_RUNNABLE);
    now += 10 * LOST_AFTER;
    assert_int_equal(check(&r), SCHED_WD_OK);
    /* Blocked again later with a fresh latch: the clock starts afresh. */
    assert_ptr_equal(sched_pick(&sched_cpus[1]), &ents[1]);
    sched_put(&ents[1], SCHED_PUT_BLOCK);
    ents[1].kicked = 1;
    assert_int_equal(check(&r), SCHED_WD_OK);
    now += LOST_AFTER / 2;
    assert_int_equal(check(&r), SCHED_WD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_blocked_with_nothing_pending_is_a_deadlock),
        cmocka_unit_test(test_never_started_vcpus_cannot_wake_anyone),
        cmocka_unit_test(test_runnable_or_wakeable_vcpu_is_no_deadlock),
        cmocka_unit_test(test_kick_latched_without_wakeup_is_reported_after_the_limit),
        cmocka_unit_test(test_kick_with_its_wakeup_is_never_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
