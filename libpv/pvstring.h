/*
 * The few string and memory helpers both freestanding sides need. gcc may
 * emit calls to memcpy/memset/memmove/memcmp itself, so those keep their
 * standard names; the hosted build uses libc's instead (PV_HOSTED).
 */
#ifndef PVHV_PVSTRING_H
#define PVHV_PVSTRING_H

#include <stddef.h>
#include <stdint.h>

#ifndef PV_HOSTED
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#else
#include <string.h>
#endif

/* Parses an unsigned decimal or 0x-hex number filling all of s[0..len).
   Returns 0 on success, -1 if malformed or if it overflows 64 bits. */
int pv_parse_u64(const char *s, size_t len, uint64_t *out);

/* Finds key=value in a space-separated command line; copies the value into
   buf (terminated). Returns the value length, or -1 if the key is absent
   or the value does not fit. */
int pv_cmdline_get(const char *cmdline, const char *key, char *buf, size_t n);

#endif
