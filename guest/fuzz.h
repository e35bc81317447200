/*
 * task=fuzz's pieces (task_fuzz.c runs the loop and keeps the op log;
 * fuzz_basic.c, fuzz_priv.c, fuzz_insn.c and fuzz_mem.c hold the
 * operations). An operation fills in its arguments, calls fuzz_note() just
 * before the risky instruction (so the op log names it even if it kills the
 * VM), runs it under the catch-all (FUZZ_CATCH) and sets its result.
 */
#ifndef GUEST_FUZZ_H
#define GUEST_FUZZ_H

#include <stdint.h>

#include "idt.h"

/* Exceptions the guest may raise on itself, for the op log. */
#define FUZZ_NO_FAULT (-1)

/* fuzz_extra= words: operations left out unless asked for. */
#define FUZZ_EXTRA_FATAL   (1u << 0) /* the hypervisor kills the VM by design */
#define FUZZ_EXTRA_TCGCR   (1u << 1) /* on AMD, CR3 writes QEMU 7.2 TCG gets wrong */

struct fuzz_op {
    const char *name;
    uint64_t a, b;
    long r;
    int vector;             /* exception caught, or FUZZ_NO_FAULT */
};

/* What the operations may rely on, found once before the loop. */
struct fuzz_env {
    int amd;                /* AuthenticAMD (else Intel) */
    int xsave;              /* CPUID.1:ECX.XSAVE */
    unsigned maxphy;        /* physical-address bits */
    unsigned extra;         /* FUZZ_EXTRA_* */
    uint64_t mem;           /* this VM's RAM */
};
extern struct fuzz_env fuzz_env;

/* Adds FUZZ_EXTRA_* bits whatever fuzz_extra= said (the hostile build). */
void fuzz_force_extra(unsigned bits);

typedef void (*fuzz_fn)(uint64_t *rng, struct fuzz_op *op);

/* Writes the op log line for op (arguments known) before it runs. */
void fuzz_note(const struct fuzz_op *op);
/* A value of the kind that breaks checks (0, all ones, near the end of RAM,
   non-canonical, one bit, random). */
uint64_t fuzz_value(uint64_t *rng);

/* Arms the catch; the asm block then starts with FUZZ_CATCH, which stores
   the address of its local label 9 as the resume point, and ends with
   "9:". fuzz_caught() disarms and records what was raised in op. */
#define FUZZ_CATCH "leaq 9f(%%rip), %%r11\n\tmovq %%r11, idt_catch_resume(%%rip)\n\t"
static inline void fuzz_arm(void) { idt_catch_arm(); }
static inline void fuzz_caught(struct fuzz_op *op)
{
    struct idt_catch c = idt_catch_disarm();
    if (op->vector == FUZZ_NO_FAULT)
        op->vector = c.vector;
}

/* The operations, by file. */
void fuzz_hypercall(uint64_t *rng, struct fuzz_op *op);
void fuzz_rdmsr(uint64_t *rng, struct fuzz_op *op);
void fuzz_wrmsr(uint64_t *rng, struct fuzz_op *op);
void fuzz_in(uint64_t *rng, struct fuzz_op *op);
void fuzz_out(uint64_t *rng, struct fuzz_op *op);
void fuzz_cpuid(uint64_t *rng, struct fuzz_op *op);
void fuzz_cr0(uint64_t *rng, struct fuzz_op *op);
void fuzz_cr3(uint64_t *rng, struct fuzz_op *op);
void fuzz_cr4(uint64_t *rng, struct fuzz_op *op);
void fuzz_cr8(uint64_t *rng, struct fuzz_op *op);
void fuzz_dr(uint64_t *rng, struct fuzz_op *op);
void fuzz_xsetbv(uint64_t *rng, struct fuzz_op *op);
void fuzz_insn(uint64_t *rng, struct fuzz_op *op);
void fuzz_hlt(uint64_t *rng, struct fuzz_op *op);
void fuzz_mem(uint64_t *rng, struct fuzz_op *op);
void fuzz_fatal(uint64_t *rng, struct fuzz_op *op);

#endif
