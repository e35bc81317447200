/*
 * Reflected-exception checks for task=abi (abi_exc.c).
 */
#ifndef GUEST_ABI_EXC_H
#define GUEST_ABI_EXC_H

#define ABI_EXC_CHECKS 3

/* vCPU0: raises #DB three times (single step, data breakpoint, general
   detect); check(what, ok) is called once per #DB the platform raises
   (up to ABI_EXC_CHECKS). Returns that count. */
unsigned abi_exc_run(void (*check)(const char *what, int ok));
/* Of those #DBs, how many left DR6 saying why (0..ABI_EXC_CHECKS). */
unsigned abi_exc_dr6_ok(void);
/* Whether the general-detect #DB was raised at all (1, or 0 where the
   platform ignores DR7.GD). */
unsigned abi_exc_gd_raised(void);

#endif
