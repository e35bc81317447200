/*
 * The C side of guest/lowmode.asm: copy the code to low memory, run it,
 * and judge what its handlers recorded.
 *
 * Real mode (issue 13 item 7): a real-mode exception frame is IP, CS,
 * FLAGS - never an error code. pvhv answers an unknown RDMSR, a reserved
 * EFER bit and (SVM) CR0.PG without PE with #GP(0) through
 * virt_inject_exception, which must drop the error code when CR0.PE is 0:
 * VMX refuses the VM entry otherwise (SDM 26.2.1.3, unrestricted guest),
 * and a CPU that pushed it would leave SP 2 bytes lower and IP where the
 * error code is. So each #GP must reach the IVT handler with SP exactly
 * 6 below where it was, IP on the instruction, CS 0.
 *
 * #AC (issue 13 item 10): ring 3 with CR0.AM and EFLAGS.AC loads from an
 * odd address; pvhv intercepts the #AC and hands it back, so the guest's
 * handler (at CPL 3, through a conforming segment) gets EIP, CS (ring 3),
 * EFLAGS (AC) and the error code 0, 16 bytes below the ring-3 stack.
 */
#include "lowmode.h"

#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "paging.h"
#include "pvstring.h"

#define EXC_GP 13
#define EXC_AC 17
#define REAL_FRAME_BYTES 6            /* IP, CS, FLAGS */
#define AC_FRAME_BYTES 16             /* error code, EIP, CS, EFLAGS */
#define USER_CS (0x40 | 3)            /* lowmode.asm's ring-3 code */
#define EFLAGS_AC (1u << 18)
#define MSR_SYSENTER_CS 0x174u
#define SYSENTER_MSRS 3
#define LOW_END 0x8000u               /* first byte above the copy's stacks */

extern const uint8_t lm_start[], lm_end[], lm_data[], lm_entry[];

static void *low(const void *sym)
{
    return (void *)(uintptr_t)(LM_LOW_BASE + ((const uint8_t *)sym - lm_start));
}

const struct lm_data *lowmode_run(enum lm_op op)
{
    uint64_t sysenter[SYSENTER_MSRS];
    unsigned long flags = irq_save_flags();

    _Static_assert(LM_LOW_BASE < LOW_END, "the copy sits below its limit");
    if ((size_t)(lm_end - lm_start) > LOW_END - LM_LOW_BASE)
        return 0;
    irq_disable();
    for (unsigned i = 0; i < SYSENTER_MSRS; i++)
        sysenter[i] = rdmsr(MSR_SYSENTER_CS + i);
    memcpy((void *)(uintptr_t)LM_LOW_BASE, lm_start, (size_t)(lm_end - lm_start));
    void (*entry)(unsigned) = (void (*)(unsigned))low(lm_entry);
    entry((unsigned)op);
    for (unsigned i = 0; i < SYSENTER_MSRS; i++)
        wrmsr(MSR_SYSENTER_CS + i, sysenter[i]);
    irq_restore_flags(flags);
    return low(lm_data);
}

static const char *const real_what[LM_REAL_TESTS] = {
    "real mode: RDMSR of an unknown MSR",
    "real mode: WRMSR of a reserved EFER bit",
    "real mode: CR0.PG without PE",
};

unsigned lowmode_checks(void (*check)(const char *what, int ok), unsigned *real_ok,
                        unsigned *ac_raised)
{
    unsigned n = 0;

    *real_ok = 0;
    *ac_raised = 0;
    const struct lm_data *d = lowmode_run(LM_OP_REAL);

    if (!d) {
        check("real mode: lowmode code fits below 0x8000", 0);
        return 1;
    }
    for (unsigned t = 0; t < LM_REAL_TESTS; t++, n++) {
        const struct lm_rec *r = &d->rec[t];
        int ok = t < d->nrec && r->vector == EXC_GP &&
                 r->sp == d->sp_before[t] - REAL_FRAME_BYTES &&
                 r->slot[0] == d->want_ip[t] && r->slot[1] == 0;
        if (!ok)
            kprintf("abi: %s: %s; frame vector %u at SP 0x%x (SP was 0x%x), words 0x%x 0x%x "
                    "0x%x 0x%x (want IP 0x%x, CS 0, no error code)\n", real_what[t],
                    t < d->nrec ? "wrong frame" : "no exception recorded", r->vector, r->sp,
                    d->sp_before[t], r->slot[0], r->slot[1], r->slot[2], r->slot[3],
                    d->want_ip[t]);
        check(real_what[t], ok);
        *real_ok += ok;
    }
    int clean = d->nrec == LM_REAL_TESTS && !d->aborted;
    if (!clean)
        kprintf("abi: real mode: %u exceptions recorded (want %u), left early: %u\n",
                d->nrec, LM_REAL_TESTS, d->aborted);
    check("real mode: no exception beyond the three #GPs", clean);
    *real_ok += clean;
    n++;

    d = lowmode_run(LM_OP_AC);
    const struct lm_rec *r = &d->rec[0];
    *ac_raised = d->nrec > 0;
    if (d->ac_none && d->nrec == 0) {
        kprintf("abi: ring 3 misaligned load with CR0.AM and EFLAGS.AC raised no #AC "
                "(the platform does not check alignment)\n");
        return n;
    }
    int ok = d->nrec == 1 && !d->ac_none && r->vector == EXC_AC &&
             r->sp == d->sp_before[0] - AC_FRAME_BYTES && r->slot[0] == 0 &&
             r->slot[1] == d->want_ip[0] && r->slot[2] == USER_CS &&
             (r->slot[3] & EFLAGS_AC);
    if (!ok)
        kprintf("abi: ring 3 #AC: %u exceptions, first vector %u at ESP 0x%x (was 0x%x), "
                "frame 0x%x 0x%x 0x%x 0x%x (want error 0, EIP 0x%x, CS 0x%x, EFLAGS.AC); "
                "load completed: %u\n", d->nrec, r->vector, r->sp, d->sp_before[0],
                r->slot[0], r->slot[1], r->slot[2], r->slot[3], d->want_ip[0], USER_CS,
                d->ac_none);
    check("ring 3 #AC reflected with its error code", ok);
    return n + 1;
}
