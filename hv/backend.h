/*
 * Choosing the virtualization backend (hv/backend.c) from the backends'
 * probe functions (hv/virt/virt.h).
 */
#ifndef HV_BACKEND_H
#define HV_BACKEND_H

#include "virt/virt.h"

/* Picks the backend from CPUID (or the forced one); NULL with err filled. */
const struct virt_ops *virt_probe(const char *forced, char *err, unsigned errlen);

#endif
