/*
 * task=pingpong: vCPUs 2k and 2k+1 wake each other for duration= ms, each
 * round a KICK_CPU to the partner and a HLT with interrupts off until the
 * partner's kick (the PV_UNHALT latch keeps a kick that lands before the
 * HLT). Every round is a wake-up from HLT, so with boost=on a VM doing
 * this asks the scheduler for a boost tens of thousands of times a
 * second: the hostile pattern of issue 13 item 9, which the per-vCPU
 * boost limit (SCHED_BOOSTS_PER_SLICE, hv/sched/sched.h) bounds. A vCPU
 * without a partner (the last of an odd count) only waits for the end.
 */
#include "tasks.h"
#include "pv_options.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "hypercall.h"
#include "report.h"
#include "smp.h"
#include "tsc.h"

#define PINGPONG_MAX_DURATION_MS PV_OPT_DURATION_MAX_MS
#define PINGPONG_JSON_MAX 160
#define PINGPONG_SLOT_BYTES 64   /* one cache line per vCPU's count */

static uint64_t duration_ms;
static volatile int pair_done[PV_MAX_VCPUS / 2];
static struct {
    uint64_t rounds;
} __attribute__((aligned(PINGPONG_SLOT_BYTES))) slot[PV_MAX_VCPUS];

static void configure(void)
{
    duration_ms = cfg_u64("duration", PV_OPT_DURATION_MS, 1, PINGPONG_MAX_DURATION_MS);
}

/* Each round: kick the partner, then sleep until it kicks back. The pair
   stops when either one's clock passes the deadline: it sets the pair's
   flag and kicks once more, so a partner asleep (or about to sleep) with
   the flag unseen still wakes and sees it. */
static void play(unsigned cpu, unsigned partner)
{
    uint64_t deadline = rdtsc() + tsc_ms_to_cycles(duration_ms), n = 0;
    volatile int *done = &pair_done[cpu / 2];

    irq_disable();
    while (!__atomic_load_n(done, __ATOMIC_SEQ_CST)) {
        hypercall4(PV_HC_KICK_CPU, 0, partner, 0, 0);
        halt_irqs_off();
        n++;
        if (rdtsc() >= deadline)
            __atomic_store_n(done, 1, __ATOMIC_SEQ_CST);
    }
    hypercall4(PV_HC_KICK_CPU, 0, partner, 0, 0);
    irq_enable();
    slot[cpu].rounds = n;
}

static enum guest_fail_code run(unsigned cpu)
{
    char json[PINGPONG_JSON_MAX];
    unsigned partner = cpu ^ 1;

    smp_barrier();
    if (env.pv && partner < env.bi->nr_vcpus)
        play(cpu, partner);
    smp_barrier();
    int len = pv_snprintf(json, sizeof(json), "{\"kind\":\"pingpong_vcpu\",\"rounds\":%lu}",
                          slot[cpu].rounds);
    report_json(json, (size_t)len);
    smp_barrier();
    return FAIL_NONE;
}

const struct task task_pingpong = {
    .name = "pingpong",
    .configure = configure,
    .run = run,
};
