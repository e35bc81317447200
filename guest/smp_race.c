/*
 * The VCPU_START race (issue 13 review item 3), run by task=abi in a VM
 * of 3 or more vCPUs: vCPU0 starts vCPU1 alone, then vCPU0 and vCPU1 both
 * start every further vCPU at the same moment, with the same context. The
 * hypervisor must let exactly one of each pair win; the other gets -EBUSY.
 * task=abi checks the outcome (smp_race_check) once every vCPU is up.
 */
#include "smp_race.h"

#include "cpu.h"
#include "env.h"
#include "hypercall.h"
#include "pv_abi.h"

#define RACERS 2

static long ret[RACERS][PV_MAX_VCPUS];
static volatile int ready, go, finished;
static unsigned arrived[PV_MAX_VCPUS];
static uintptr_t contexts[PV_MAX_VCPUS];

int smp_race_wanted(void)
{
    return smp_race_enabled && env.pv && env.bi->nr_vcpus > RACERS;
}

/* Both racers meet before each call (no PAUSE in the wait: leave it as
   fast as the other one does), so the two calls reach the hypervisor
   as close together as the platform allows. */
static void race(unsigned who)
{
    for (unsigned id = RACERS; id < env.bi->nr_vcpus; id++) {
        __atomic_add_fetch(&arrived[id], 1, __ATOMIC_ACQ_REL);
        while (__atomic_load_n(&arrived[id], __ATOMIC_ACQUIRE) != RACERS)
            ;
        ret[who][id] = hypercall4(PV_HC_VCPU_START, id, contexts[id], 0, 0);
    }
    __atomic_add_fetch(&finished, 1, __ATOMIC_ACQ_REL);
}

void smp_race_run(const uintptr_t *ctx_gpa)
{
    for (unsigned id = RACERS; id < env.bi->nr_vcpus; id++)
        contexts[id] = ctx_gpa[id];
    while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
        cpu_relax();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    race(0);
    while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) != RACERS)
        cpu_relax();
}

void smp_race_join(unsigned id)
{
    if (id != 1 || !smp_race_wanted())
        return;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        ;   /* no PAUSE: come out of the loop as fast as vCPU0 goes in */
    race(1);
}

int smp_race_enabled;

unsigned smp_race_check(void (*bad)(const char *what, unsigned id, long a, long b))
{
    unsigned races = 0;
    if (!smp_race_wanted())
        return 0;
    for (unsigned id = RACERS; id < env.bi->nr_vcpus; id++, races++) {
        long a = ret[0][id], b = ret[1][id];
        if (!((a == 0 && b == -PV_EBUSY) || (a == -PV_EBUSY && b == 0)))
            bad("VCPU_START race: want one 0 and one -EBUSY", id, a, b);
    }
    return races;
}
