/*
 * Reading key=value settings from the boot command line. pvhv has already
 * validated every key, but the guest checks again and stops with a clear
 * line (FAIL_CONFIG) rather than run with a value it does not understand.
 * Unknown keys are ignored: most of the line is the hypervisor's.
 */
#ifndef GUEST_CONFIG_H
#define GUEST_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* The value of key in [min, max], or def if absent; ends the guest on a
   malformed or out-of-range value. */
uint64_t cfg_u64(const char *key, uint64_t def, uint64_t min, uint64_t max);
/* Copies the value of key into buf; returns its length, or -1 if absent.
   Ends the guest if the value is empty or longer than n - 1. */
int cfg_str(const char *key, char *buf, size_t n);
/* The settings looked up so far as one JSON object, values in effect
   (string defaults a caller applies itself are not known here). Returns
   its length, or -1 if n is too small. */
int cfg_json(char *buf, size_t n);
/* s as the inside of a JSON string (quote and backslash escaped, control
   bytes as '?'), cut to fit n. */
void json_escape(char *out, size_t n, const char *s);
/* Prints "guest: bad key=value: why" and ends the guest (FAIL_CONFIG). */
__attribute__((noreturn)) void cfg_bad(const char *key, const char *value,
                                       const char *why);

#endif
