/*
 * Reflected-exception checks for task=abi (abi_exc.c).
 */
#ifndef GUEST_ABI_EXC_H
#define GUEST_ABI_EXC_H

#define ABI_EXC_CHECKS 2

/* vCPU0: raises #DB twice; check(what, ok) is called ABI_EXC_CHECKS times.
   Returns that count. */
unsigned abi_exc_run(void (*check)(const char *what, int ok));
/* Of those #DBs, how many left DR6 saying why (0..ABI_EXC_CHECKS). */
unsigned abi_exc_dr6_ok(void);

#endif
