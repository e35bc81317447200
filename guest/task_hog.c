/*
 * task=hog: every vCPU burns CPU for duration= ms, touching no lock and
 * making no hypercall, the way over-commit measurements on Linux fill the
 * other VMs with CPU-bound work. With vmN.task=hog one VM runs lockstress
 * while the others only compete for the pCPUs. The count of loop rounds is
 * the VM's share of the machine, so its records show how much it got.
 */
#include "tasks.h"
#include "pv_options.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "report.h"
#include "smp.h"
#include "tsc.h"

#define HOG_MAX_DURATION_MS PV_OPT_DURATION_MAX_MS
#define HOG_BATCH 1024          /* rounds between two looks at the clock */
#define HOG_JSON_MAX 256

static uint64_t duration_ms;
static uint64_t rounds[PV_MAX_VCPUS];
static uint64_t vm_start;

static void configure(void)
{
    duration_ms = cfg_u64("duration", PV_OPT_DURATION_MS, 1, HOG_MAX_DURATION_MS);
}

static void burn(unsigned cpu)
{
    volatile uint64_t sink = 0;
    uint64_t deadline = rdtsc() + tsc_ms_to_cycles(duration_ms), n = 0;

    while (rdtsc() < deadline) {
        for (unsigned i = 0; i < HOG_BATCH; i++)
            sink++;
        n += HOG_BATCH;
    }
    rounds[cpu] = n;
}

static void report_vcpu(unsigned cpu)
{
    char json[HOG_JSON_MAX];
    int len = pv_snprintf(json, sizeof(json), "{\"kind\":\"hog_vcpu\",\"rounds\":%lu}",
                          rounds[cpu]);
    report_json(json, (size_t)len);
}

static enum guest_fail_code report_vm(uint64_t elapsed)
{
    char json[HOG_JSON_MAX];
    uint64_t total = 0, hz = env.bi->tsc_hz;
    unsigned n = env.bi->nr_vcpus;

    for (unsigned i = 0; i < n; i++)
        total += rounds[i];
    uint64_t rate = elapsed ? muldiv64(total, hz, elapsed) : 0;
    int len = pv_snprintf(json, sizeof(json),
                          "{\"kind\":\"hog_vm\",\"vcpus\":%u,\"rounds\":%lu,"
                          "\"elapsed_cycles\":%lu,\"tsc_hz\":%lu,\"rounds_per_s\":%lu}",
                          n, total, elapsed, hz, rate);
    report_json(json, (size_t)len);
    kprintf("hog vm %u: vcpus=%u rounds=%lu in %lu cycles = %lu/s\n",
            env.bi->vm_id, n, total, elapsed, rate);
    return FAIL_NONE;
}

static enum guest_fail_code run(unsigned cpu)
{
    uint64_t elapsed = 0;

    smp_barrier();
    if (cpu == 0)
        vm_start = rdtsc();
    burn(cpu);
    smp_barrier();
    if (cpu == 0)
        elapsed = rdtsc() - vm_start;
    report_vcpu(cpu);
    smp_barrier();
    return cpu == 0 ? report_vm(elapsed) : FAIL_NONE;
}

const struct task task_hog = {
    .name = "hog",
    .configure = configure,
    .run = run,
};
