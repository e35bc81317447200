/*
 * Builder for nested page tables (AMD NPT and Intel EPT share the 4-level
 * radix shape; only the entry bits differ, so the backend passes them in).
 */
#ifndef HV_NESTED_H
#define HV_NESTED_H

#include <stdint.h>

struct nested_format {
    uint64_t table_bits;   /* bits of an entry pointing to a table */
    uint64_t leaf_2m_bits; /* bits of a 2 MiB leaf (incl. the large-page bit) */
};

/* Maps [gpa, gpa + len) to [hpa, ...) with 2 MiB pages; all three must be
   2 MiB aligned. Allocates the root if *root is NULL. Returns 0 or -1. */
int nested_map_2m(void **root, const struct nested_format *f, uint64_t gpa,
                  uint64_t hpa, uint64_t len);

#endif
