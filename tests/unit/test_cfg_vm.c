/*
 * vmN.key=value overrides (issue 12 item 5): one VM runs another task or
 * other task parameters than the rest. Pinned here: each VM's effective
 * configuration, that other VMs and the hypervisor-wide keys are untouched,
 * and the exact refusal for a VM that does not exist, a hypervisor-wide key,
 * an unknown key, a bad value and a repeated override.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cfg.h"

static struct cfg c, v0, v1;

static void parse_ok(const char *line)
{
    struct cfg_error e;
    if (cfg_parse(line, &c, &e))
        fail_msg("cfg_parse(\"%s\") refused: %s", line, e.message);
}

static void refused_exactly(const char *line, const char *key, const char *value,
                            const char *message)
{
    struct cfg_error e;
    if (cfg_parse(line, &c, &e) == 0)
        fail_msg("cfg_parse(\"%s\") accepted", line);
    if (strcmp(e.key, key) || strcmp(e.value, value) || strcmp(e.message, message))
        fail_msg("\"%s\":\n got key=%s value=%s\n   %s\n want key=%s value=%s\n   %s",
                 line, e.key, e.value, e.message, key, value, message);
}

static void test_override_applies_to_one_vm(void **state)
{
    (void)state;
    parse_ok("vms=3 locks=2 vm1.task=hog vm1.duration=300 vm2.lock=ticket");
    assert_int_equal(c.nr_overrides, 3);
    cfg_vm(&c, 0, &v0);
    cfg_vm(&c, 1, &v1);
    assert_string_equal(v0.task, "lockstress");
    assert_int_equal(v0.tasks, CFG_TASK_LOCKSTRESS);
    assert_int_equal(v0.duration_ms, 2000);
    assert_string_equal(v0.lock, "pvticket");
    assert_string_equal(v1.task, "hog");
    assert_int_equal(v1.tasks, CFG_TASK_HOG);
    assert_int_equal(v1.duration_ms, 300);
    assert_int_equal(v1.locks, 2);           /* global value still holds */
    cfg_vm(&c, 2, &v1);
    assert_string_equal(v1.lock, "ticket");
    assert_string_equal(v1.task, "lockstress");
    /* The global configuration is the one without overrides. */
    assert_string_equal(c.task, "lockstress");
    assert_string_equal(c.lock, "pvticket");
}

static void test_override_before_vms(void **state)
{
    (void)state;
    /* Whether VM 3 exists is judged once the whole line is read. */
    parse_ok("vm3.cs=5 vms=4");
    cfg_vm(&c, 3, &v0);
    assert_int_equal(v0.cs, 5);
}

static void test_guest_cmdline_has_no_prefix(void **state)
{
    char line[1024];
    (void)state;
    parse_ok("vm1.task=hog");
    cfg_vm(&c, 1, &v1);
    assert_int_equal(cfg_format_cmdline(&v1, line, sizeof(line)), 0);
    assert_non_null(strstr(line, " task=hog "));
    assert_null(strstr(line, "vm1."));
}

static void test_refusals(void **state)
{
    (void)state;
    refused_exactly("vms=2 vm2.task=hog", "vm2.task", "hog",
                    "vm2.task=hog: there is no VM 2; allowed: vm0..vm1 (vms=2)");
    refused_exactly("vm0.sched=gang", "vm0.sched", "gang",
                    "vm0.sched=gang: sched is hypervisor-wide, not a guest-task key; "
                    "allowed: vmN.KEY with KEY one of task lock spin_threshold "
                    "preempt_check locks cs think duration ops seed tlb tlb_pages tlb_writers fuzz_ops fuzz_extra");
    refused_exactly("vm1.slice=5", "vm1.slice", "5",
                    "vm1.slice=5: slice is hypervisor-wide, not a guest-task key; "
                    "allowed: vmN.KEY with KEY one of task lock spin_threshold "
                    "preempt_check locks cs think duration ops seed tlb tlb_pages tlb_writers fuzz_ops fuzz_extra");
    refused_exactly("vm0.vms=3", "vm0.vms", "3",
                    "vm0.vms=3: vms is hypervisor-wide, not a guest-task key; "
                    "allowed: vmN.KEY with KEY one of task lock spin_threshold "
                    "preempt_check locks cs think duration ops seed tlb tlb_pages tlb_writers fuzz_ops fuzz_extra");
    refused_exactly("vm0.frob=1", "vm0.frob", "1",
                    "vm0.frob=1: unknown key; allowed: vmN.KEY with KEY one of task lock "
                    "spin_threshold preempt_check locks cs think duration ops seed tlb "
                    "tlb_pages tlb_writers fuzz_ops fuzz_extra");
    refused_exactly("vm0.locks=65", "vm0.locks", "65",
                    "vm0.locks=65: out of range; allowed: 1..64 locks");
    refused_exactly("vm1.task=hog,fly", "vm1.task", "hog,fly",
                    "vm1.task=hog,fly: unknown task list; allowed: a comma-separated list "
                    "of smp|lockstress|abi|tlbstress|hog|fuzz|hcall|xstate|pingpong, each at most once");
    refused_exactly("vm0.cs=1 vm0.cs=2", "vm0.cs", "2",
                    "vm0.cs=2: given twice; allowed: each key at most once per VM");
    refused_exactly("vmx.task=hog", "vmx.task", "hog",
                    "vmx.task=hog: malformed VM number; allowed: vmN.KEY=VALUE with N a "
                    "decimal VM number");
    refused_exactly("vm1.preempt_check=", "vm1.preempt_check", "",
                    "vm1.preempt_check=: empty value; allowed: on|off");
    /* A combination only VM 1 makes impossible is named after its override. */
    refused_exactly("vcpus=2 tlb_writers=2 vm1.task=tlbstress", "vm1.tlb_writers", "2",
                    "vm1.tlb_writers=2: tlbstress needs a reader: with vcpus=2, "
                    "allowed: 1..1 writers (and vcpus >= 2)");
}

static void test_override_count_is_bounded(void **state)
{
    char line[2048];
    size_t len = 0;
    (void)state;
    len += (size_t)snprintf(line + len, sizeof(line) - len, "vms=16");
    for (unsigned i = 0; i <= CFG_MAX_OVERRIDES; i++)
        len += (size_t)snprintf(line + len, sizeof(line) - len, " vm%u.%s=1", i / 2,
                                i % 2 ? "cs" : "think");
    struct cfg_error e;
    assert_int_not_equal(cfg_parse(line, &c, &e), 0);
    assert_non_null(strstr(e.message, "too many overrides; allowed: at most 32"));
}

static int count;
static void count_key(void *ctx, const char *key, const char *value, int is_number)
{
    (void)ctx; (void)value; (void)is_number;
    if (!strcmp(key, "sched") || !strcmp(key, "vms"))
        fail_msg("guest iteration lists the hypervisor-wide key %s", key);
    count++;
}

static void test_for_each_guest(void **state)
{
    (void)state;
    parse_ok("");
    count = 0;
    cfg_for_each_guest(&c, count_key, 0);
    assert_int_equal(count, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_override_applies_to_one_vm),
        cmocka_unit_test(test_override_before_vms),
        cmocka_unit_test(test_guest_cmdline_has_no_prefix),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_override_count_is_bounded),
        cmocka_unit_test(test_for_each_guest),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
