/*
 * The command-line parser: a run is only reproducible if every setting it
 * reports is the one it used, so defaults, each accepted form, each refusal
 * (with the key, the value and what is allowed), the platform check and the
 * round trip through cfg_format_cmdline are pinned here. Only the keys every
 * configuration has are named, so new keys do not break these tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cfg.h"

#define MIB       ((uint64_t)1 << 20)
#define GIB       ((uint64_t)1 << 30)
#define LINE_MAX_ 1024
#define WORD_LIMIT 127          /* longest word the parser takes */

static struct cfg parsed(const char *cmdline)
{
    struct cfg c;
    struct cfg_error e;

    if (cfg_parse(cmdline, &c, &e))
        fail_msg("cfg_parse(\"%s\") refused: key=%s value=%s: %s",
                 cmdline, e.key, e.value, e.message);
    return c;
}

/* A refusal must say which key, which value and (where a value was judged)
   what would have been allowed. */
static struct cfg_error refused(const char *cmdline, const char *key,
                                const char *value, int names_allowed)
{
    struct cfg c;
    struct cfg_error e;

    if (cfg_parse(cmdline, &c, &e) == 0)
        fail_msg("cfg_parse(\"%s\") accepted", cmdline);
    if (strcmp(e.key, key))
        fail_msg("\"%s\": err.key \"%s\", expected \"%s\"", cmdline, e.key, key);
    if (value && strcmp(e.value, value))
        fail_msg("\"%s\": err.value \"%s\", expected \"%s\"", cmdline, e.value, value);
    if (!strstr(e.message, key) || !strstr(e.message, e.value))
        fail_msg("\"%s\": message does not name key and value: %s", cmdline, e.message);
    if (names_allowed && !strstr(e.message, "allowed"))
        fail_msg("\"%s\": message does not say what is allowed: %s", cmdline, e.message);
    return e;
}

static void test_defaults(void **state)
{
    (void)state;
    const char *lines[] = { "", "   ", " \t ", NULL };

    for (int i = 0; lines[i]; i++) {
        struct cfg c = parsed(lines[i]);

        assert_int_equal(c.vms, 2);
        assert_int_equal(c.vcpus, 2);
        assert_int_equal(c.mem, 16 * MIB);
        assert_string_equal(c.lock, "pvticket");
        assert_int_equal(c.slice_ms, 10);
        assert_int_equal(c.duration_ms, 2000);
        assert_int_equal(c.seed, 1);
        assert_int_equal(c.tasks, CFG_TASK_LOCKSTRESS);
        assert_string_equal(c.task, "lockstress");
        assert_int_equal(c.crash, CFG_CRASH_NONE);
    }
}

static void test_accepts_numbers(void **state)
{
    char line[LINE_MAX_];

    (void)state;
    assert_int_equal(parsed("vms=1").vms, 1);
    snprintf(line, sizeof(line), "vms=%d", CFG_MAX_VMS);
    assert_int_equal(parsed(line).vms, CFG_MAX_VMS);
    assert_int_equal(parsed("vms=0x10").vms, 16);
    snprintf(line, sizeof(line), "vms=1 vcpus=%d", CFG_MAX_VCPUS);
    assert_int_equal(parsed(line).vcpus, CFG_MAX_VCPUS);
    assert_int_equal(parsed("slice=1").slice_ms, 1);
    assert_int_equal(parsed("duration=5").duration_ms, 5);
    assert_int_equal(parsed("seed=0").seed, 0);
    assert_true(parsed("seed=18446744073709551615").seed == UINT64_MAX);
    assert_true(parsed("seed=0xdeadbeef").seed == 0xdeadbeef);

    /* order and spacing do not matter; tabs separate words too */
    struct cfg c = parsed("  vcpus=3\tvms=4   slice=20 ");
    assert_int_equal(c.vms, 4);
    assert_int_equal(c.vcpus, 3);
    assert_int_equal(c.slice_ms, 20);
    assert_int_equal(c.mem, 16 * MIB);          /* untouched keys keep defaults */
}

static void test_accepts_sizes(void **state)
{
    (void)state;
    assert_int_equal(parsed("mem=4M").mem, 4 * MIB);
    assert_int_equal(parsed("mem=1G").mem, GIB);
    assert_int_equal(parsed("mem=4096K").mem, 4 * MIB);
    assert_int_equal(parsed("mem=4194304").mem, 4 * MIB);      /* bytes */
    assert_int_equal(parsed("mem=0x400000").mem, 4 * MIB);     /* hex bytes */
    assert_int_equal(parsed("mem=0x6M").mem, 6 * MIB);
    assert_int_equal(parsed("mem=1022M").mem, 1022 * MIB);
}

static void test_accepts_words(void **state)
{
    struct cfg c;

    (void)state;
    assert_string_equal(parsed("lock=ticket").lock, "ticket");
    assert_string_equal(parsed("lock=pvticket").lock, "pvticket");
    assert_string_equal(parsed("lock=tas").lock, "tas");
    assert_string_equal(parsed("lock=mcs").lock, "mcs");
    assert_string_equal(parsed("lock=qspin").lock, "qspin");
    assert_string_equal(parsed("lock=pvqspin").lock, "pvqspin");
    assert_string_equal(parsed("lock=pticket").lock, "pticket");
    /* a list: one lockstress phase per kind */
    assert_string_equal(parsed("lock=tas,pvqspin,ticket").lock, "tas,pvqspin,ticket");
    assert_string_equal(parsed("lock=ticket,pvticket,tas,mcs,qspin,pvqspin,pticket").lock,
                        "ticket,pvticket,tas,mcs,qspin,pvqspin,pticket");

    c = parsed("task=smp");
    assert_int_equal(c.tasks, CFG_TASK_SMP);
    c = parsed("task=smp,lockstress");
    assert_int_equal(c.tasks, CFG_TASK_SMP | CFG_TASK_LOCKSTRESS);
    c = parsed("task=lockstress,smp");
    assert_int_equal(c.tasks, CFG_TASK_SMP | CFG_TASK_LOCKSTRESS);

    c = parsed("crash=1:triple vms=2");
    assert_int_equal(c.crash, CFG_CRASH_TRIPLE);
    assert_int_equal(c.crash_vm, 1);
    c = parsed("vms=2 crash=0:npf");
    assert_int_equal(c.crash, CFG_CRASH_NPF);
    assert_int_equal(c.crash_vm, 0);
    /* the VM is checked against vms after all words, in any order */
    c = parsed("crash=3:npf vms=4");
    assert_int_equal(c.crash_vm, 3);
    assert_int_equal(parsed("crash=none").crash, CFG_CRASH_NONE);
}

static void test_total_vcpus(void **state)
{
    char line[LINE_MAX_];
    struct cfg_error e;

    (void)state;
    /* exactly the limit is fine, one more vCPU per VM is not */
    snprintf(line, sizeof(line), "vms=%d vcpus=%d", CFG_MAX_VMS,
             CFG_MAX_TOTAL_VCPUS / CFG_MAX_VMS);
    assert_int_equal(parsed(line).vms * parsed(line).vcpus, CFG_MAX_TOTAL_VCPUS);
    snprintf(line, sizeof(line), "vms=%d vcpus=%d", CFG_MAX_VMS,
             CFG_MAX_TOTAL_VCPUS / CFG_MAX_VMS + 1);
    e = refused(line, "vcpus", NULL, 0);
    assert_non_null(strstr(e.message, "256"));
    e = refused("vms=16 vcpus=64", "vcpus", "64", 0);
    assert_non_null(strstr(e.message, "256"));
    refused("vcpus=64 vms=5", "vcpus", "64", 0);
}

static void test_rejects_numbers(void **state)
{
    (void)state;
    refused("vms=two", "vms", "two", 1);
    refused("vms=-1", "vms", "-1", 1);
    refused("vms=2x", "vms", "2x", 1);
    refused("vms=0x", "vms", "0x", 1);
    refused("vms=0", "vms", "0", 1);
    refused("vms=17", "vms", "17", 1);
    refused("vcpus=0", "vcpus", "0", 1);
    refused("vcpus=65", "vcpus", "65", 1);
    refused("slice=0", "slice", "0", 1);
    refused("duration=0", "duration", "0", 1);
    refused("seed=18446744073709551616", "seed", "18446744073709551616", 1);

    /* the range is spelled out */
    struct cfg_error e = refused("vms=17", "vms", "17", 1);
    assert_non_null(strstr(e.message, "16"));
}

static void test_rejects_sizes(void **state)
{
    (void)state;
    refused("mem=3M", "mem", "3M", 1);                 /* not 2 MiB aligned */
    refused("mem=0x400001", "mem", "0x400001", 1);
    refused("mem=2M", "mem", "2M", 1);                 /* below the minimum */
    refused("mem=2G", "mem", "2G", 1);                 /* above the maximum */
    refused("mem=1026M", "mem", "1026M", 1);
    refused("mem=0", "mem", "0", 1);
    refused("mem=M", "mem", "M", 1);
    refused("mem=16MB", "mem", "16MB", 1);
    refused("mem=sixteen", "mem", "sixteen", 1);
    refused("mem=99999999999999999999G", "mem", "99999999999999999999G", 1);
}

static void test_rejects_words(void **state)
{
    (void)state;
    refused("lock=clh", "lock", "clh", 1);
    refused("lock=Ticket", "lock", "Ticket", 1);
    refused("lock=tas,tas", "lock", "tas,tas", 1);      /* repeated */
    refused("lock=tas,", "lock", "tas,", 1);            /* empty item */
    refused("lock=,tas", "lock", ",tas", 1);
    refused("lock=tas,,mcs", "lock", "tas,,mcs", 1);
    refused("lock=tas,clh", "lock", "tas,clh", 1);
    refused("lock=tick", "lock", "tick", 1);

    struct cfg_error e = refused("lock=clh", "lock", "clh", 1);
    assert_non_null(strstr(e.message, "pvticket"));
    assert_non_null(strstr(e.message, "pvqspin"));

    refused("task=smp,bogus", "task", "smp,bogus", 1);
    refused("task=bogus", "task", "bogus", 1);
    refused("task=smp,", "task", "smp,", 1);
    refused("task=,smp", "task", ",smp", 1);
    refused("task=smp,,lockstress", "task", "smp,,lockstress", 1);
    refused("task=,", "task", ",", 1);

    refused("crash=5:triple vms=2", "crash", "5:triple", 1);
    refused("vms=2 crash=2:npf", "crash", "2:npf", 1);
    refused("crash=1:reboot", "crash", "1:reboot", 1);
    refused("crash=1:", "crash", "1:", 1);
    refused("crash=triple", "crash", "triple", 1);
    refused("crash=:triple", "crash", ":triple", 1);
    refused("crash=x:triple", "crash", "x:triple", 1);
}

static void test_rejects_syntax(void **state)
{
    struct cfg_error e;

    (void)state;
    /* unknown key: the message lists the keys there are */
    e = refused("frobnicate=1", "frobnicate", "1", 0);
    assert_non_null(strstr(e.message, "vms"));
    assert_non_null(strstr(e.message, "lock"));
    refused("VMS=2", "VMS", "2", 0);

    refused("vms=2 vms=3", "vms", "3", 0);              /* given twice */
    refused("vms=2 lock=ticket vms=2", "vms", "2", 0);
    refused("verbose", "verbose", "", 0);               /* no '=' */
    refused("vms=2 lock", "lock", "", 0);
    refused("vms=", "vms", "", 0);                      /* empty value */
    refused("vms=2 lock=", "lock", "", 0);
}

static void test_word_length(void **state)
{
    char line[LINE_MAX_];
    struct cfg c;
    struct cfg_error e;

    (void)state;
    /* "seed=" then zeros and a 7: the longest word is still taken */
    memset(line, '0', WORD_LIMIT);
    memcpy(line, "seed=", 5);
    line[WORD_LIMIT - 1] = '7';
    line[WORD_LIMIT] = '\0';
    assert_int_equal(parsed(line).seed, 7);

    /* one character more is refused, naming the start of the word */
    memset(line, '0', WORD_LIMIT + 1);
    memcpy(line, "seed=", 5);
    line[WORD_LIMIT + 1] = '\0';
    assert_int_equal(cfg_parse(line, &c, &e), -1);
    assert_string_equal(e.key, "cmdline");
    assert_true(strlen(e.value) > 0);
    assert_memory_equal(e.value, line, strlen(e.value));
    assert_non_null(strstr(e.message, e.value));
    assert_non_null(strstr(e.message, "127"));

    /* and a long task list too */
    snprintf(line, sizeof(line), "vms=2 task=smp");
    while (strlen(line) < 200)
        strcat(line, ",smp");
    assert_int_equal(cfg_parse(line, &c, &e), -1);
    assert_string_equal(e.key, "cmdline");
}

static void test_platform(void **state)
{
    struct cfg c = parsed("vms=2 mem=16M");
    struct cfg_error e;

    (void)state;
    /* not even the guest RAM fits */
    assert_int_equal(cfg_check_platform(&c, 2 * 16 * MIB - 1, &e), -1);
    assert_string_equal(e.key, "mem");
    assert_non_null(strstr(e.message, "mem"));
    assert_non_null(strstr(e.message, e.value));
    assert_int_equal(cfg_check_platform(&c, 0, &e), -1);
    assert_string_equal(e.key, "mem");

    /* room to spare (the hypervisor keeps a reserve besides guest RAM) */
    assert_int_equal(cfg_check_platform(&c, 2 * 16 * MIB + 64 * MIB, &e), 0);
    assert_int_equal(cfg_check_platform(&c, UINT64_MAX, &e), 0);

    /* the biggest configuration needs 16 GiB of RAM */
    c = parsed("vms=16 vcpus=16 mem=1G");
    assert_int_equal(cfg_check_platform(&c, 4 * GIB, &e), -1);
    assert_string_equal(e.key, "mem");
    assert_int_equal(cfg_check_platform(&c, 17 * GIB, &e), 0);
}

static void assert_same_cfg(const struct cfg *a, const struct cfg *b)
{
    assert_int_equal(a->vms, b->vms);
    assert_int_equal(a->vcpus, b->vcpus);
    assert_int_equal(a->mem, b->mem);
    assert_string_equal(a->lock, b->lock);
    assert_int_equal(a->slice_ms, b->slice_ms);
    assert_int_equal(a->duration_ms, b->duration_ms);
    assert_true(a->seed == b->seed);
    assert_int_equal(a->tasks, b->tasks);
    assert_string_equal(a->task, b->task);
    assert_int_equal(a->crash, b->crash);
    if (a->crash != CFG_CRASH_NONE)
        assert_int_equal(a->crash_vm, b->crash_vm);
}

static void test_round_trip(void **state)
{
    const char *lines[] = {
        "",
        "vms=3 vcpus=4 mem=1G lock=ticket task=smp,lockstress crash=2:npf "
            "seed=0xdeadbeef slice=7 duration=5",
        "vms=16 vcpus=16 mem=0x400000 task=smp crash=15:triple "
            "seed=18446744073709551615",
        "vms=1 mem=4096K task=lockstress,smp crash=none slice=1000",
        NULL,
    };

    (void)state;
    for (int i = 0; lines[i]; i++) {
        char once[LINE_MAX_], twice[LINE_MAX_];
        struct cfg a = parsed(lines[i]);

        assert_int_equal(cfg_format_cmdline(&a, once, sizeof(once)), 0);
        struct cfg b = parsed(once);
        assert_same_cfg(&a, &b);
        /* formatting is a fixed point, whatever keys there are */
        assert_int_equal(cfg_format_cmdline(&b, twice, sizeof(twice)), 0);
        assert_string_equal(once, twice);
    }
}

static void test_format_small_buffer(void **state)
{
    struct cfg c = parsed("");
    char buf[LINE_MAX_];

    (void)state;
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(cfg_format_cmdline(&c, buf, 16), -1);
    assert_true(strlen(buf) < 16);                      /* still terminated */
    assert_int_equal(buf[16], 'x');                     /* nothing past n */
    assert_memory_equal(buf, "vms=2", 5);

    memset(buf, 'x', sizeof(buf));
    assert_int_equal(cfg_format_cmdline(&c, buf, 0), -1);
    assert_int_equal(buf[0], 'x');
}

struct visit {
    int vms_seen, lock_seen, total, dup;
    char names[64][32];
};

static void visit_one(void *ctx, const char *key, const char *value, int is_number)
{
    struct visit *v = ctx;

    for (int i = 0; i < v->total && i < 64; i++)
        if (!strcmp(v->names[i], key))
            v->dup = 1;
    if (v->total < 64)
        snprintf(v->names[v->total], sizeof(v->names[0]), "%s", key);
    v->total++;
    if (!strcmp(key, "vms")) {
        v->vms_seen++;
        assert_string_equal(value, "3");
        assert_int_equal(is_number, 1);
    }
    if (!strcmp(key, "lock")) {
        v->lock_seen++;
        assert_string_equal(value, "ticket");
        assert_int_equal(is_number, 0);
    }
}

/* Each task once: a repeated one is refused (it used to overflow the stored
   list, so the guest got a command line it could not parse). */
static void test_task_list(void **state)
{
    (void)state;
    struct cfg c = parsed("task=lockstress,smp");
    assert_string_equal(c.task, "lockstress,smp");
    assert_int_equal(c.tasks, CFG_TASK_LOCKSTRESS | CFG_TASK_SMP);
    refused("task=lockstress,lockstress,lockstress", "task", NULL, 1);
    refused("task=smp,,lockstress", "task", NULL, 1);
    refused("task=smp,", "task", NULL, 1);
}

/* The unknown-key message lists every key, the last one included. */
static void test_unknown_key_lists_all(void **state)
{
    (void)state;
    struct cfg_error e = refused("frobnicate=1", "frobnicate", "1", 0);
    assert_non_null(strstr(e.message, " done"));
    assert_non_null(strstr(e.message, "vms "));
}

static void test_trace_keys(void **state)
{
    (void)state;
    struct cfg c = parsed("");
    assert_int_equal(c.trace, 0);
    assert_int_equal(c.trace_events, 16384);
    c = parsed("trace=on trace_events=16");
    assert_int_equal(c.trace, 1);
    assert_int_equal(c.trace_events, CFG_TRACE_MIN_EVENTS);
    refused("trace=yes", "trace", "yes", 1);
    refused("trace=", "trace", "", 1);
    refused("trace_events=15", "trace_events", "15", 1);
    refused("trace_events=many", "trace_events", "many", 1);
    refused("trace_events=4194305", "trace_events", "4194305", 1);
    struct cfg_error e = refused("trace=1", "trace", "1", 1);
    assert_non_null(strstr(e.message, "on|off"));
}

static void test_for_each(void **state)
{
    struct cfg c = parsed("vms=3 lock=ticket");
    struct visit v = { 0 };

    (void)state;
    cfg_for_each(&c, visit_one, &v);
    assert_int_equal(v.vms_seen, 1);
    assert_int_equal(v.lock_seen, 1);
    assert_int_equal(v.dup, 0);
    assert_true(v.total >= 9);          /* at least the keys named here */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_accepts_numbers),
        cmocka_unit_test(test_accepts_sizes),
        cmocka_unit_test(test_accepts_words),
        cmocka_unit_test(test_total_vcpus),
        cmocka_unit_test(test_rejects_numbers),
        cmocka_unit_test(test_rejects_sizes),
        cmocka_unit_test(test_rejects_words),
        cmocka_unit_test(test_rejects_syntax),
        cmocka_unit_test(test_word_length),
        cmocka_unit_test(test_platform),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_format_small_buffer),
        cmocka_unit_test(test_for_each),
        cmocka_unit_test(test_task_list),
        cmocka_unit_test(test_unknown_key_lists_all),
        cmocka_unit_test(test_trace_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
