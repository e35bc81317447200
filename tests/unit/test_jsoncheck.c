/*
 * The REPORT hypercall's JSON check (libpv/jsoncheck.c): what a guest could
 * use to forge a hypervisor record must be refused, and every report the
 * real guest sends must pass. Python's json (the tools' parser) keeps the
 * last of two equal keys and decodes escapes, which is what the forgeries
 * below rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "jsoncheck.h"

static const char *const hv_keys[] = { "vm", "vcpu", NULL };

static int check(const char *s)
{
    return pv_json_check_object(s, strlen(s), hv_keys, NULL, NULL);
}

static void test_reports_the_guest_sends_pass(void **state)
{
    (void)state;
    const char *good[] = {
        "{\"kind\":\"lock_vcpu\",\"acquisitions\":12,\"latency\":{\"p50\":3,"
            "\"buckets\":[0,1,2]},\"preempt_check\":false,\"x\":null}",
        "{\"kind\":\"abi\",\"checks\":20,\"failures\":0}",
        "{\"kind\":\"t\",\"neg\":-1.5e-3,\"s\":\"a \\\"quoted\\\" \\u0041\",\"e\":[],\"o\":{}}",
        "{ \"kind\" : \"spaced\" , \"a\" : [ 1 , 2 ] }",
    };
    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *kind;
        size_t klen;
        int r = pv_json_check_object(good[i], strlen(good[i]), hv_keys, &kind, &klen);
        if (r)
            fail_msg("refused (%d): %s", r, good[i]);
        assert_true(klen > 0 && kind[klen] == '"');
    }
}

static void test_kind_is_reported(void **state)
{
    (void)state;
    const char *s = "{\"kind\":\"tlb_vm\",\"a\":1}";
    const char *kind;
    size_t klen;
    assert_int_equal(pv_json_check_object(s, strlen(s), hv_keys, &kind, &klen), PV_JSON_OK);
    assert_int_equal(klen, 6);
    assert_memory_equal(kind, "tlb_vm", 6);
}

/* The forgeries of issue 13 item 5, each with the verdict it must get. */
static void test_forgeries_refused(void **state)
{
    (void)state;
    static const struct { const char *json; int verdict; } bad[] = {
        { "{\"kind\":\"x\",\"kind\":\"end\"}", PV_JSON_DUP_KEY },
        { "{\"kind\":\"x\",\"status\":\"fail\",\"status\":\"pass\"}", PV_JSON_DUP_KEY },
        { "{\"kind\":\"x\",\"o\":{\"a\":1,\"a\":2}}", PV_JSON_DUP_KEY },
        { "{\"kind\":\"\\u0065nd\",\"status\":\"pass\"}", PV_JSON_NO_KIND },
        { "{\"kind\":\"x\",\"\\u006bind\":\"end\"}", PV_JSON_ESCAPED_KEY },
        { "{\"kind\":\"x\",\"vm\":1}", PV_JSON_FORBIDDEN_KEY },
        { "{\"kind\":\"x\",\"vcpu\":7}", PV_JSON_FORBIDDEN_KEY },
        { "{\"kind\":\"x\"}{\"kind\":\"end\"}", PV_JSON_MALFORMED },
        { "{\"kind\":\"x\"} @pvhv {\"kind\":\"end\"}", PV_JSON_MALFORMED },
        { "{\"kind\":\"x\",\"a\":1", PV_JSON_MALFORMED },
        { "{\"kind\":\"x\",\"a\":01}", PV_JSON_MALFORMED },
        { "{\"kind\":\"x\",\"a\":NaN}", PV_JSON_MALFORMED },
        { "{\"kind\":\"x\",\"a\":[1,]}", PV_JSON_MALFORMED },
        { "{\"kind\":\"x\",}", PV_JSON_MALFORMED },
        { "{\"kind\":\"x\",\"a\":\"\\q\"}", PV_JSON_MALFORMED },
        { "{\"kind\":5}", PV_JSON_NO_KIND },
        { "{\"kind\":\"\"}", PV_JSON_NO_KIND },
        { "{\"a\":1}", PV_JSON_NO_KIND },
        { "[{\"kind\":\"x\"}]", PV_JSON_MALFORMED },
        { "", PV_JSON_MALFORMED },
        { "{\"kind\":\"x\",\"a\":[[[[[[[[[[1]]]]]]]]]]}", PV_JSON_TOO_DEEP },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = check(bad[i].json);
        if (r != bad[i].verdict)
            fail_msg("%s: verdict %d, expected %d", bad[i].json, r, bad[i].verdict);
    }
}

static void test_key_limit(void **state)
{
    (void)state;
    char buf[2048];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "{\"kind\":\"x\"");
    for (int i = 0; i < PV_JSON_MAX_KEYS; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",\"k%d\":%d", i, i);
    snprintf(buf + n, sizeof(buf) - n, "}");
    assert_int_equal(check(buf), PV_JSON_TOO_MANY_KEYS);
}

/* Every prefix of a good report is refused: nothing past the end is read,
   and a cut report is never taken for a whole one. */
static void test_every_truncation_refused(void **state)
{
    (void)state;
    const char *s = "{\"kind\":\"t\",\"a\":[1,{\"b\":\"c\\\"\"}],\"d\":true}";
    for (size_t n = 0; n < strlen(s); n++)
        if (pv_json_check_object(s, n, hv_keys, NULL, NULL) == PV_JSON_OK)
            fail_msg("prefix of %zu bytes accepted", n);
    assert_int_equal(pv_json_check_object(s, strlen(s), hv_keys, NULL, NULL), PV_JSON_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reports_the_guest_sends_pass),
        cmocka_unit_test(test_kind_is_reported),
        cmocka_unit_test(test_forgeries_refused),
        cmocka_unit_test(test_key_limit),
        cmocka_unit_test(test_every_truncation_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
