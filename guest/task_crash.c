/*
 * crash=VM:KIND — a VM that dies on purpose, so tests can check that the
 * hypervisor kills exactly that VM and the others run on. triple: an IDT
 * with limit 0 turns int3 into a triple fault. npf: read guest-physical
 * memory past the end of RAM (the hypervisor has nothing mapped there).
 * halt: every vCPU halts with interrupts off, so nothing can wake the VM
 * (the deadlock watchdog must kill it at once). spin: every vCPU loops
 * with interrupts off and causes no exit (only timeout= can end it, and the
 * other VMs must still get their pCPUs). acloop: vCPU0 drops to 32-bit
 * ring 3 with alignment checking on and a misaligned stack, then loads
 * from an odd address, so delivering the #AC raises #AC again, for ever
 * (guest/lowmode.asm; CVE-2015-5307: without pvhv's #AC intercept a CPU
 * would loop in microcode and never take the host's interrupts again;
 * with it, every round is an exit, and timeout= ends the VM).
 */
#include "tasks.h"
#include "config.h"
#include "console.h"
#include "env.h"
#include "idt.h"
#include "lowmode.h"
#include "paging.h"
#include "pvstring.h"

enum crash_kind { CRASH_NONE, CRASH_TRIPLE, CRASH_NPF, CRASH_HALT, CRASH_SPIN, CRASH_ACLOOP };

static enum crash_kind kind;
static uint64_t crash_vm;

void crash_configure(void)
{
    char arg[64];
    const char *colon;
    size_t vlen;

    if (cfg_str("crash", arg, sizeof(arg)) < 0 || !strcmp(arg, "none"))
        return;
    colon = arg;
    while (*colon && *colon != ':')
        colon++;
    vlen = (size_t)(colon - arg);
    if (!*colon || pv_parse_u64(arg, vlen, &crash_vm) != 0)
        cfg_bad("crash", arg, "want VM:KIND, VM a number");
    if (strcmp(colon + 1, "triple") == 0)
        kind = CRASH_TRIPLE;
    else if (strcmp(colon + 1, "npf") == 0)
        kind = CRASH_NPF;
    else if (strcmp(colon + 1, "halt") == 0)
        kind = CRASH_HALT;
    else if (strcmp(colon + 1, "spin") == 0)
        kind = CRASH_SPIN;
    else if (strcmp(colon + 1, "acloop") == 0)
        kind = CRASH_ACLOOP;
    else
        cfg_bad("crash", arg, "KIND must be triple, npf, halt, spin or acloop");
    if (kind == CRASH_ACLOOP && crash_vm == env.bi->vm_id && !env.pv)
        cfg_bad("crash", arg, "acloop runs under pvhv only (it uses guest RAM below 1 MiB)");
    if (kind == CRASH_NPF && crash_vm == env.bi->vm_id &&
        !paging_map_beyond_possible(env.bi->mem_bytes))
        cfg_bad("crash", arg, "npf needs RAM below 1022 MiB");
}

void crash_maybe(unsigned cpu)
{
    volatile uint64_t *p;
    uint64_t v;

    if (kind == CRASH_NONE || crash_vm != env.bi->vm_id)
        return;
    if (kind == CRASH_HALT || kind == CRASH_SPIN) {
        kprintf("crash: vm %u vcpu %u %s with interrupts off now\n", env.bi->vm_id, cpu,
                kind == CRASH_HALT ? "halts" : "spins");
        if (kind == CRASH_HALT)
            for (;;)
                __asm__ volatile("cli; hlt" ::: "memory");
        for (;;)
            __asm__ volatile("cli" ::: "memory");   /* no exit of its own */
    }
    if (cpu != 0)
        return;
    if (kind == CRASH_ACLOOP) {
        kprintf("crash: vm %u enters the #AC delivery loop at ring 3 now\n", env.bi->vm_id);
        const struct lm_data *d = lowmode_run(LM_OP_AC_LOOP);
        kprintf("crash: #AC loop returned: %u exceptions recorded, misaligned load "
                "completed %u (no #AC on this platform?)\n", d ? d->nrec : 0,
                d ? d->ac_none : 0);
        guest_fail(FAIL_CRASH_SURVIVED, "still alive after the #AC delivery loop");
    }
    if (kind == CRASH_TRIPLE) {
        kprintf("crash: vm %u triple-faults now (empty IDT + int3)\n",
                env.bi->vm_id);
        idt_load_empty();
        __asm__ volatile("int3");
        guest_fail(FAIL_CRASH_SURVIVED, "still alive after a triple fault");
    }
    p = (volatile uint64_t *)paging_map_beyond(env.bi->mem_bytes);
    kprintf("crash: vm %u reads GPA 0x%lx beyond RAM (mem_bytes 0x%lx) now\n",
            env.bi->vm_id, (uintptr_t)p, env.bi->mem_bytes);
    v = *p;
    kprintf("crash: read beyond RAM returned 0x%lx\n", v);
    guest_fail(FAIL_CRASH_SURVIVED, "still alive after touching memory "
               "beyond RAM");
}
