/*
 * The guest's pv_lock_platform: how libpv's locks halt, kick and find the
 * current vCPU here (hlt with interrupts off, PV_HC_KICK_CPU, RSP slot).
 */
#ifndef GUEST_LOCKPLAT_H
#define GUEST_LOCKPLAT_H

#include "lock.h"

/* The platform for env's vCPU count (valid after env_init). */
const struct pv_lock_platform *lockplat_get(void);
/* Whether waiters can halt and be kicked (PV_UNHALT): pvticket's slow path. */
int lockplat_can_sleep(void);

#endif
