/*
 * The hypervisor's serial console on COM1. Every call prints whole lines
 * under one lock, so output from different pCPUs never interleaves.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stddef.h>

void serial_init(void);
void console_write(const char *s, size_t len);   /* one locked write */
/* The same with interrupts left on (the caller's IF=1; no interrupt
   handler prints): for guest text, so no pCPU serves a VM's output with
   interrupts off. */
void console_write_irqs_on(const char *s, size_t len);
void hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Lock-free output for panic paths (may interleave, never deadlocks). */
void console_write_unlocked(const char *s, size_t len);
void console_break_lock(void);
/* Waits (bounded) until COM1 has sent everything: an emulator that stops
   at once on the exit port would otherwise lose the last bytes. */
void serial_drain(void);
/* The verdict line on COM2, a port no guest can reach (serial.c). */
void serial_verdict(const char *s, size_t len);

#endif
