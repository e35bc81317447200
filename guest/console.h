/*
 * Console output on COM1. Under pvhv the hypervisor keeps one line buffer per
 * vCPU, so vCPUs need no lock as long as each printf writes whole lines
 * (end every message with '\n').
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stddef.h>

/* native != 0: program the UART ourselves and wait for THR empty; under
   pvhv the emulated THR is always ready, so each byte costs one exit, not
   two. */
void console_init(int native);
void console_write(const char *s, size_t len);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
