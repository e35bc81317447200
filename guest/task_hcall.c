/*
 * task=hcall: every vCPU issues PV_HC_KICK_CPU to itself in a loop for
 * duration= ms. It is the cheapest hypercall that reaches the scheduler (the
 * kick path, sched_notify), so the exits per second per vCPU, with 1 and
 * with many busy pCPUs, show whether the exit and kick paths scale (issue
 * 12 item 6). The loop counts in a per-vCPU slot, not through the shared
 * hypercall counter, which every vCPU would write.
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

#define HCALL_MAX_DURATION_MS PV_OPT_DURATION_MAX_MS
#define HCALL_BATCH 64          /* calls between two looks at the clock */
#define HCALL_JSON_MAX 320
#define HCALL_SLOT_BYTES 64     /* one cache line per vCPU's count */

static uint64_t duration_ms;
static struct {
    uint64_t calls, cycles, failed;
} __attribute__((aligned(HCALL_SLOT_BYTES))) slot[PV_MAX_VCPUS];

static void configure(void)
{
    duration_ms = cfg_u64("duration", PV_OPT_DURATION_MS, 1, HCALL_MAX_DURATION_MS);
}

static void call_loop(unsigned cpu)
{
    uint64_t start = rdtsc(), deadline = start + tsc_ms_to_cycles(duration_ms), n = 0;
    uint64_t failed = 0, now;

    do {
        for (unsigned i = 0; i < HCALL_BATCH; i++)
            failed += hypercall4_uncounted(PV_HC_KICK_CPU, 0, cpu, 0, 0) != 0;
        n += HCALL_BATCH;
        now = rdtsc();
    } while (now < deadline);
    hypercalls_account(n);
    slot[cpu].calls = n;
    slot[cpu].cycles = now - start;
    slot[cpu].failed = failed;
}

static void report_vcpu(unsigned cpu)
{
    char json[HCALL_JSON_MAX];
    uint64_t rate = slot[cpu].cycles ? muldiv64(slot[cpu].calls, env.bi->tsc_hz, slot[cpu].cycles) : 0;
    int len = pv_snprintf(json, sizeof(json),
                          "{\"kind\":\"hcall_vcpu\",\"calls\":%lu,\"cycles\":%lu,\"calls_per_s\":%lu}",
                          slot[cpu].calls, slot[cpu].cycles, rate);
    report_json(json, (size_t)len);
}

/* The VM's rate is the mean of its vCPUs' own rates (calls per second of
   each vCPU's loop), so a vCPU that was descheduled counts what it got. */
static enum guest_fail_code report_vm(void)
{
    char json[HCALL_JSON_MAX];
    uint64_t total = 0, sum_rate = 0, failed = 0, hz = env.bi->tsc_hz;
    unsigned n = env.bi->nr_vcpus;

    for (unsigned i = 0; i < n; i++) {
        total += slot[i].calls;
        failed += slot[i].failed;
        sum_rate += slot[i].cycles ? muldiv64(slot[i].calls, hz, slot[i].cycles) : 0;
    }
    uint64_t per_vcpu = sum_rate / (n ? n : 1);
    int len = pv_snprintf(json, sizeof(json),
                          "{\"kind\":\"hcall_vm\",\"vcpus\":%u,\"calls\":%lu,\"failed\":%lu,"
                          "\"tsc_hz\":%lu,\"calls_per_s_per_vcpu\":%lu}",
                          n, total, failed, hz, per_vcpu);
    report_json(json, (size_t)len);
    kprintf("hcall vm %u: vcpus=%u calls=%lu failed=%lu, %lu/s per vCPU\n",
            env.bi->vm_id, n, total, failed, per_vcpu);
    if (failed)
        kprintf("hcall: %lu self-kicks returned an error (KICK_CPU of a valid "
                "APIC ID must return 0)\n", failed);
    return failed ? FAIL_VIOLATIONS : FAIL_NONE;
}

static enum guest_fail_code run(unsigned cpu)
{
    if (!env.pv) {              /* native: there is no hypercall to time */
        if (cpu == 0)
            kprintf("hcall: skipped, not under pvhv\n");
        return FAIL_NONE;
    }
    smp_barrier();
    call_loop(cpu);
    smp_barrier();
    report_vcpu(cpu);
    smp_barrier();
    return cpu == 0 ? report_vm() : FAIL_NONE;
}

const struct task task_hcall = {
    .name = "hcall",
    .configure = configure,
    .run = run,
};
