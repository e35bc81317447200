/*
 * What the guest learned at boot, in one place: whether pvhv runs it (and
 * which pv features it offers) or it booted natively through multiboot, and
 * the boot info every task reads (vCPU count, RAM, TSC rate, seed, cmdline).
 */
#ifndef GUEST_ENV_H
#define GUEST_ENV_H

#include <stdint.h>
#include "pv_abi.h"

struct guest_env {
    int pv;                 /* started by pvhv (PV_BOOT_MAGIC + signature) */
    uint32_t pv_features;   /* CPUID 0x40000001 EAX, 0 natively */
    const struct pv_boot_info *bi; /* pvhv's, or one built from multiboot */
};

extern struct guest_env env;

static inline int pv_has(unsigned feature_bit)
{
    return env.pv && (env.pv_features >> feature_bit) & 1;
}

/* Sets up env from the boot registers; on a bad hand-over prints why and
   ends the guest (FAIL_CONFIG). Also starts the console. */
void env_init(uint32_t magic, uint32_t info_gpa);

#endif
