/*
 * Freestanding formatted output: the hypervisor and the guest have no libc.
 * Supports %d %i %u %x %X %p %s %c %% with l/ll/z modifiers, width, '0' and
 * '-' flags and precision for %s. Hosted unit tests link the same code.
 */
#ifndef PVHV_FMT_H
#define PVHV_FMT_H

#include <stdarg.h>
#include <stddef.h>

int pv_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int pv_snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
