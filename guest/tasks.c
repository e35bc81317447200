/*
 * Task list parsing and the common run loop.
 */
#include "tasks.h"
#include "console.h"
#include "fuzz.h"
#include "config.h"
#include "pvstring.h"
#include "records.h"
#include "smp.h"
#include "steal.h"

#define TASK_LIST_MAX 16
#define TASK_ARG_MAX 256

static const struct task *const known[] = {
    &task_smp,
    &task_lockstress,
    &task_tlbstress,
    &task_abi,
    &task_hog,
    &task_fuzz,
    &task_hcall,
    &task_xstate,
    &task_pingpong,
};
#define NR_KNOWN (sizeof(known) / sizeof(known[0]))

static const struct task *list[TASK_LIST_MAX];
static unsigned list_len;

static const struct task *lookup(const char *name, size_t len)
{
    for (unsigned i = 0; i < NR_KNOWN; i++)
        if (strlen(known[i]->name) == len &&
            memcmp(known[i]->name, name, len) == 0)
            return known[i];
    return 0;
}

int tasks_listed(const struct task *t)
{
    for (unsigned i = 0; i < list_len; i++)
        if (list[i] == t)
            return 1;
    return 0;
}

void tasks_configure(void)
{
    char arg[TASK_ARG_MAX];
    const char *p;

    if (cfg_str("task", arg, sizeof(arg)) < 0)
        memcpy(arg, "lockstress", sizeof("lockstress"));
    for (p = arg;;) {
        const char *end = p;
        const struct task *t;

        while (*end && *end != ',')
            end++;
        t = lookup(p, (size_t)(end - p));
        if (!t)
            cfg_bad("task", arg, "each item must be one of smp, lockstress, "
                    "tlbstress, abi, hog, fuzz, hcall, xstate");
        /* smp always runs first anyway; do not run it twice. */
        if (t != &task_smp) {
            if (list_len == TASK_LIST_MAX)
                cfg_bad("task", arg, "too many tasks (at most 16)");
            list[list_len++] = t;
        }
        if (!*end)
            break;
        p = end + 1;
    }
    crash_configure();
    for (unsigned i = 0; i < NR_KNOWN; i++)
        if (known[i]->configure)
            known[i]->configure();
#ifdef GUEST_HOSTILE
    /* build/guest-hostile.elf: another kernel for issue 13's "any guest
       per VM" test. Whatever task= says, it only fuzzes, fatal operations
       included, so the hypervisor kills it sooner or later. */
    kprintf("guest: hostile build: task=fuzz with fuzz_extra=fatal, whatever task= says\n");
    list_len = 0;
    list[list_len++] = &task_fuzz;
    fuzz_force_extra(FUZZ_EXTRA_FATAL);
#endif
}

void tasks_run(unsigned cpu)
{
    enum guest_fail_code rc = task_smp.run(cpu);

    if (cpu == 0 && rc != FAIL_NONE)
        guest_fail(rc, "task smp failed");
    crash_maybe(cpu);
    for (unsigned i = 0; i < list_len; i++) {
        smp_barrier();
        rc = list[i]->run(cpu);
        if (cpu == 0 && rc != FAIL_NONE) {
            kprintf("task %s failed\n", list[i]->name);
            guest_fail(rc, "task failed");
        }
    }
    steal_report(cpu);
    if (cpu == 0)
        records_guest();
    /* Nobody ends the VM while another vCPU is still reporting. */
    smp_barrier();
    if (cpu == 0)
        guest_done();
    cpu_park();
}
