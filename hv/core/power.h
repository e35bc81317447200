/*
 * How a run ends (done=): QEMU's isa-debug-exit (pass and fail give
 * different exit statuses) and Bochs' shutdown port, then a halt; or only a
 * halt, the emulator left running; or a reset through the keyboard
 * controller.
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
/* What power_finish does after the end record (done=exit|halt|reboot). */
enum power_done { POWER_DONE_EXIT, POWER_DONE_HALT, POWER_DONE_REBOOT };
void power_set_done_action(enum power_done action);

#endif
