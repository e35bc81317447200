/*
 * How the guest ends: VM_DONE under pvhv; natively its own vm/end records,
 * then isa-debug-exit (QEMU) or the Bochs shutdown port. The fail
 * codes are what VM_DONE carries and what the hypervisor reports.
 */
#ifndef GUEST_END_H
#define GUEST_END_H

enum guest_fail_code {
    FAIL_NONE = 0,
    FAIL_VIOLATIONS = 1,    /* a lock lost mutual exclusion or a count */
    FAIL_SMP = 2,           /* a vCPU did not come up or ack its IPI */
    FAIL_CONFIG = 3,        /* bad command line value or boot hand-over */
    FAIL_EXCEPTION = 4,     /* unexpected CPU exception in the guest */
    FAIL_CRASH_SURVIVED = 5, /* crash= asked to die but the VM lived on */
    FAIL_STALE_TLB = 6      /* a read went through a flushed translation */
};

/* Ends the whole VM as passed (vCPU0 when all tasks are done). */
__attribute__((noreturn)) void guest_done(void);
/* Prints why, ends the whole VM with code (any vCPU may call it). */
__attribute__((noreturn)) void guest_fail(enum guest_fail_code code,
                                          const char *why);
/* A finished vCPU: interrupts off, halt forever. */
__attribute__((noreturn)) void cpu_park(void);

#endif
