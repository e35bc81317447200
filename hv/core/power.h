/*
 * How a run ends: QEMU's isa-debug-exit (pass and fail give different exit
 * statuses), Bochs' shutdown port, or a halt/reboot on bare metal.
 */
#ifndef HV_POWER_H
#define HV_POWER_H

#define DEBUG_EXIT_PASS 0x10   /* QEMU exit status (0x10 << 1) | 1 = 33 */
#define DEBUG_EXIT_FAIL 0x11   /* QEMU exit status 35 */

struct json;

/* Prints the end record and leaves; never returns. */
void power_finish(int pass, const char *reason) __attribute__((noreturn));
/* The end record's fields from above (the VM counts), added after status. */
void power_set_end_fields(void (*fn)(struct json *j));
void power_set_done_action(int reboot);

#endif
