/*
 * See records.h. The field names and framing are the hypervisor's
 * (hv/report.c, hv/core/power.c), so tools/ needs no native special case
 * beyond "backend":"none" and "native":true.
 */
#include "records.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "env.h"
#include "fmt.h"
#include "hypercall.h"
#include "lockplat.h"
#include "percpu.h"
#include "report.h"
#include "smp.h"
#include "steal.h"

#define RECORD_MAX 4096
#define CPUID_BRAND_FIRST 0x80000002u
#define CPUID_BRAND_LEAVES 3
#define BRAND_MAX 48

static char rec[RECORD_MAX];
static char cfg_buf[RECORD_MAX / 2];
static char esc[PV_CMDLINE_MAX * 2];
static int run_printed, finished;
static uint64_t boot_tsc;

static void emit(int len)
{
    unsigned long f;

    if (len < 0 || len >= RECORD_MAX) {
        kprintf("guest: a record did not fit in %u bytes\n", RECORD_MAX);
        return;
    }
    f = console_lock();
    console_write("@pvhv ", 6);
    console_write(rec, (size_t)len);
    console_write("\n", 1);
    console_unlock(f);
}

static void cpu_brand(char *out)
{
    uint32_t r[4 * CPUID_BRAND_LEAVES], max, b, c, d;
    const char *s = (const char *)r;
    unsigned n = 0;

    out[0] = 0;
    cpuid(CPUID_BRAND_FIRST & 0x80000000u, 0, &max, &b, &c, &d);
    if (max < CPUID_BRAND_FIRST + CPUID_BRAND_LEAVES - 1)
        return;
    for (unsigned i = 0; i < CPUID_BRAND_LEAVES; i++)
        cpuid(CPUID_BRAND_FIRST + i, 0, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2],
              &r[4 * i + 3]);
    while (*s == ' ')
        s++;
    for (; n + 1 < BRAND_MAX && s[n]; n++)
        out[n] = s[n];
    out[n] = 0;
}

static void print_run(int with_config)
{
    char brand[BRAND_MAX], brand_esc[2 * BRAND_MAX];

    if (__atomic_exchange_n(&run_printed, 1, __ATOMIC_ACQ_REL))
        return;
    cpu_brand(brand);
    json_escape(brand_esc, sizeof(brand_esc), brand);
    json_escape(esc, sizeof(esc), env.bi->cmdline);
    if (!with_config || cfg_json(cfg_buf, sizeof(cfg_buf)) < 0)
        pv_snprintf(cfg_buf, sizeof(cfg_buf), "null");
    emit(pv_snprintf(rec, sizeof(rec),
                     "{\"kind\":\"run\",\"version\":\"pvhv-1\",\"backend\":"
                     "\"none\",\"native\":true,\"cpu\":\"%s\",\"pcpus\":%u,"
                     "\"tsc_hz\":%lu,\"loader\":\"multiboot1\",\"cmdline\":"
                     "\"%s\",\"config\":%s}",
                     brand_esc, env.bi->nr_vcpus, env.bi->tsc_hz, esc,
                     cfg_buf));
}

void records_run(void)
{
    boot_tsc = rdtsc();
    print_run(1);
}

void records_finish(unsigned code, const char *why)
{
    uint64_t now = rdtsc();
    char why_esc[256];

    if (__atomic_exchange_n(&finished, 1, __ATOMIC_ACQ_REL))
        cpu_park();
    print_run(0);
    json_escape(why_esc, sizeof(why_esc), why);
    emit(pv_snprintf(rec, sizeof(rec),
                     "{\"kind\":\"vm\",\"vm\":0,\"vcpus\":%u,\"state\":"
                     "\"done\",\"reason\":\"%s%s\",\"guest_status\":%u,"
                     "\"elapsed_ns\":%lu}",
                     env.bi->nr_vcpus, code ? "guest reported failure: " : "",
                     code ? why_esc : "guest finished", code,
                     boot_tsc && env.bi->tsc_hz
                         ? muldiv64(now - boot_tsc, 1000000000ull,
                                    env.bi->tsc_hz)
                         : 0));
    emit(pv_snprintf(rec, sizeof(rec),
                     "{\"kind\":\"end\",\"status\":\"%s\",\"vms_done\":1,"
                     "\"vms_killed\":0,\"reason\":\"%s\"}",
                     code ? "fail" : "pass",
                     code ? "the native guest reported failure"
                          : "the native guest finished and reported success"));
    console_drain();
}

void records_guest(void)
{
    char json[320];
    int len = pv_snprintf(json, sizeof(json),
        "{\"kind\":\"guest\",\"native\":%s,\"pv_features\":%u,"
        "\"steal_time\":%s,\"pv_unhalt\":%s,\"pv_tlb_flush\":%s,"
        "\"ipi\":\"%s\",\"hypercalls\":%lu,\"hypercalls_refused\":%lu}",
        env.pv ? "false" : "true", env.pv_features,
        steal_registered(0) ? "true" : "false",
        lockplat_can_sleep() ? "true" : "false",
        pv_has(PV_FEATURE_PV_TLB_FLUSH) && steal_registered(0) ? "true"
                                                               : "false",
        smp_ipi_path(), hypercalls_issued(), hypercalls_refused());

    report_json(json, (size_t)len);
}
