/*
 * The per-vCPU pause-loop window (hv/virt/ple.c) follows KVM's rules:
 * grow by multiplying (modifier below the base) or adding, up to the
 * maximum; shrink by dividing or subtracting, never below the base; a
 * modifier of 0 resets to the base. With KVM's defaults (grow 2, shrink 0)
 * a window doubles on each pause-loop exit and is back at the base once
 * the vCPU is scheduled in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "virt/ple.h"
#include "virt/vcpu.h"

struct virt_settings virt_settings;
static struct vcpu v;

static void setup(uint32_t base, uint32_t grow, uint32_t shrink, uint32_t max, uint32_t limit)
{
    memset(&v, 0, sizeof(v));
    virt_settings.ple_window = base;
    virt_settings.ple_grow = grow;
    virt_settings.ple_shrink = shrink;
    virt_settings.ple_window_max = max;
    virt_settings.ple_window_limit = limit;
}

static void test_kvm_defaults_double_and_reset(void **state)
{
    (void)state;
    setup(4096, 2, 0, 0, 0xFFFFFFFFu);
    ple_window_grow(&v);
    assert_int_equal(v.ple_window, 8192);
    assert_int_equal(v.ple_window_dirty, 1);
    v.ple_window_dirty = 0;
    ple_window_grow(&v);
    assert_int_equal(v.ple_window, 16384);
    ple_window_shrink(&v);                  /* shrink 0: back to the base */
    assert_int_equal(v.ple_window, 4096);
    assert_int_equal(v.ple_window_dirty, 1);
    assert_int_equal(v.stats.ple_window_peak, 16384);
    v.ple_window_dirty = 0;
    ple_window_shrink(&v);                  /* unchanged: nothing to write */
    assert_int_equal(v.ple_window_dirty, 0);
}

static void test_growth_stops_at_the_maximum(void **state)
{
    (void)state;
    setup(3000, 2, 0, 0, 0xFFFF);           /* SVM: 16-bit pause filter count */
    for (int i = 0; i < 10; i++)
        ple_window_grow(&v);
    assert_int_equal(v.ple_window, 0xFFFF);
    setup(4096, 2, 0, 20000, 0xFFFFFFFFu);  /* ple_window_max */
    for (int i = 0; i < 10; i++)
        ple_window_grow(&v);
    assert_int_equal(v.ple_window, 20000);
    setup(0x80000000u, 2, 0, 0, 0xFFFFFFFFu);  /* no 32-bit overflow */
    ple_window_grow(&v);
    assert_int_equal(v.ple_window, 0xFFFFFFFFu);
}

static void test_additive_modifiers_and_floor(void **state)
{
    (void)state;
    setup(4096, 5000, 6000, 0, 0xFFFFFFFFu);  /* modifiers >= base add/subtract */
    ple_window_grow(&v);
    assert_int_equal(v.ple_window, 9096);
    ple_window_grow(&v);
    assert_int_equal(v.ple_window, 14096);
    ple_window_shrink(&v);
    assert_int_equal(v.ple_window, 8096);
    ple_window_shrink(&v);                  /* never below the base */
    assert_int_equal(v.ple_window, 4096);
    setup(4096, 2, 4, 0, 0xFFFFFFFFu);      /* modifier < base divides */
    for (int i = 0; i < 4; i++)
        ple_window_grow(&v);
    assert_int_equal(v.ple_window, 65536);
    ple_window_shrink(&v);
    assert_int_equal(v.ple_window, 16384);
}

static void test_grow_zero_keeps_the_base(void **state)
{
    (void)state;
    setup(4096, 0, 0, 0, 0xFFFFFFFFu);
    ple_window_grow(&v);
    assert_int_equal(v.ple_window, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kvm_defaults_double_and_reset),
        cmocka_unit_test(test_growth_stops_at_the_maximum),
        cmocka_unit_test(test_additive_modifiers_and_floor),
        cmocka_unit_test(test_grow_zero_keeps_the_base),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
