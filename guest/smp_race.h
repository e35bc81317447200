/*
 * Two vCPUs racing to start the same vCPUs (smp_race.c), for task=abi.
 */
#ifndef GUEST_SMP_RACE_H
#define GUEST_SMP_RACE_H

#include <stdint.h>

/* Set by vCPU0 before smp_start_aps when task=abi runs. */
extern int smp_race_enabled;
/* This VM races: task=abi, pvhv, more than two vCPUs. */
int smp_race_wanted(void);
/* vCPU0, once vCPU1 is started: ctx_gpa[id] is vCPU id's start context.
   Returns when both racers are through. */
void smp_race_run(const uintptr_t *ctx_gpa);
/* Every secondary vCPU, once up: vCPU1 races, the others return. */
void smp_race_join(unsigned id);
/* vCPU0, later: calls bad() for every race without exactly one winner;
   returns the number of races checked. */
unsigned smp_race_check(void (*bad)(const char *what, unsigned id, long a, long b));

#endif
