/*
 * Leaving long mode from inside a VM (guest/lowmode.asm): real mode with
 * the guest's own IVT, and 32-bit ring 3 with alignment checking on
 * (issue 13 item 7's real-mode error code, item 10's #AC loop).
 * Only under pvhv: the code and its stacks live in guest RAM below 1 MiB
 * (GPA 0x4000-0x7FFF), which pvhv's loader leaves unused.
 */
#ifndef GUEST_LOWMODE_H
#define GUEST_LOWMODE_H

#include <stdint.h>

#define LM_LOW_BASE 0x6000u      /* = LOW_BASE, lowmode.asm */
#define LM_RECS 4                /* = RECS */
#define LM_REAL_TESTS 3          /* #GPs the real-mode part raises */

enum lm_op { LM_OP_REAL, LM_OP_AC, LM_OP_AC_LOOP };

/* One exception as its handler found it: the vector, the stack pointer
   the CPU left (its frame starts there) and the first 4 stack slots of
   that frame (16-bit words in real mode, dwords in 32-bit mode). */
struct lm_rec {
    uint32_t vector, sp, slot[4];
};

struct lm_data {                 /* lm_data in lowmode.asm */
    uint32_t op, nrec, aborted, ac_none;
    uint32_t want_ip[4];         /* where each test's exception must point */
    uint32_t sp_before[4];       /* the stack pointer before each test */
    struct lm_rec rec[LM_RECS];
    uint32_t misaligned[2];
};

/* Runs op with interrupts off and returns the copy's results (valid
   until the next call). LM_OP_AC_LOOP returns only where the platform
   raises no #AC. */
const struct lm_data *lowmode_run(enum lm_op op);

/* task=abi's checks: real mode (each #GP pvhv injects arrives with a
   6-byte frame, no error code: IP, CS, FLAGS) and one #AC from ring 3
   delivered with its error code. check() is called per check; returns
   how many; *real_ok how many of the real-mode ones (LM_REAL_TESTS + 1)
   passed. *ac_raised says whether the platform raised the #AC at all
   (QEMU TCG does not check alignment). */
unsigned lowmode_checks(void (*check)(const char *what, int ok), unsigned *real_ok,
                        unsigned *ac_raised);

#endif
