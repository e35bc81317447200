/*
 * Log2 histograms: where values land, what the percentiles report, that
 * merging equals adding the samples to one histogram, and the exact JSON
 * the statistics lines carry (including truncation like snprintf).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hist.h"

#define JSON_BUF 2048
#define TINY_BUF 10

static void test_buckets(void **state)
{
    struct pv_hist h = { 0 };

    (void)state;
    pv_hist_add(&h, 0);
    pv_hist_add(&h, 1);
    pv_hist_add(&h, 2);
    pv_hist_add(&h, 3);
    pv_hist_add(&h, 4);
    pv_hist_add(&h, 1023);
    pv_hist_add(&h, 1024);
    pv_hist_add(&h, UINT64_MAX);
    assert_int_equal(h.bucket[0], 2);           /* 0 and 1 */
    assert_int_equal(h.bucket[1], 2);           /* 2, 3 */
    assert_int_equal(h.bucket[2], 1);           /* 4 */
    assert_int_equal(h.bucket[9], 1);           /* 1023 */
    assert_int_equal(h.bucket[10], 1);          /* 1024 */
    assert_int_equal(h.bucket[63], 1);
    assert_int_equal(h.count, 8);
    assert_true(h.max == UINT64_MAX);
}

static void test_percentiles(void **state)
{
    struct pv_hist h = { 0 };

    (void)state;
    assert_int_equal(pv_hist_percentile(&h, 50), 0);
    for (uint64_t v = 1; v <= 100; v++)
        pv_hist_add(&h, v);
    /* 50th sample is 50, in bucket [32,63] */
    assert_int_equal(pv_hist_percentile(&h, 50), 63);
    /* 99th sample is 99, in [64,127], capped at max 100 */
    assert_int_equal(pv_hist_percentile(&h, 99), 100);
    assert_int_equal(pv_hist_percentile(&h, 100), 100);
    assert_int_equal(pv_hist_percentile(&h, 1), 1);

    struct pv_hist one = { 0 };
    pv_hist_add(&one, 5);
    assert_int_equal(pv_hist_percentile(&one, 1), 5);   /* capped at max */
    assert_int_equal(pv_hist_percentile(&one, 100), 5);

    struct pv_hist top = { 0 };
    pv_hist_add(&top, UINT64_MAX - 1);
    assert_true(pv_hist_percentile(&top, 50) == UINT64_MAX - 1);
}

static void test_merge(void **state)
{
    struct pv_hist a = { 0 }, b = { 0 }, all = { 0 };

    (void)state;
    for (uint64_t v = 0; v < 1000; v += 7) {
        pv_hist_add(v % 2 ? &a : &b, v * v);
        pv_hist_add(&all, v * v);
    }
    pv_hist_merge(&a, &b);
    assert_memory_equal(&a, &all, sizeof(all));
}

static void test_json(void **state)
{
    struct pv_hist h = { 0 };
    char buf[JSON_BUF];
    char tiny[TINY_BUF];
    int len;

    (void)state;
    len = pv_hist_json(buf, sizeof(buf), &h);
    assert_string_equal(buf, "{\"count\":0,\"sum\":0,\"p50\":0,\"p99\":0,"
                             "\"max\":0,\"buckets\":[]}");
    assert_int_equal(len, (int)strlen(buf));

    pv_hist_add(&h, 1);
    pv_hist_add(&h, 6);
    pv_hist_add(&h, 6);
    len = pv_hist_json(buf, sizeof(buf), &h);
    assert_string_equal(buf, "{\"count\":3,\"sum\":13,\"p50\":6,\"p99\":6,"
                             "\"max\":6,\"buckets\":[1,0,2]}");
    assert_int_equal(len, (int)strlen(buf));

    /* too small: truncated, terminated, full length reported */
    memset(tiny, 'x', sizeof(tiny));
    assert_int_equal(pv_hist_json(tiny, sizeof(tiny), &h), len);
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
    assert_memory_equal(tiny, buf, sizeof(tiny) - 1);
    assert_int_equal(pv_hist_json(NULL, 0, &h), len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
