/*
 * Console output on COM1. Under pvhv the hypervisor keeps one line buffer per
 * vCPU, so vCPUs need no lock as long as each printf writes whole lines
 * (end every message with '\n'). Natively nothing buffers lines, so every
 * print takes a console lock (console_lock for a line built by several
 * calls).
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stddef.h>

/* native != 0: program the UART ourselves and wait for THR empty; under
   pvhv the emulated THR is always ready, so each byte costs one exit, not
   two. */
void console_init(int native);
void console_write(const char *s, size_t len);
/* Natively: holds the console for this CPU (recursive, interrupts off)
   until console_unlock; a no-op pair under pvhv. */
unsigned long console_lock(void);
void console_unlock(unsigned long flags);
/* Natively: waits until the UART has sent every byte (before the exit
   port ends the emulator). */
void console_drain(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
