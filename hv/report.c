/*
 * Statistics output (DESIGN §9): human tables for people reading the serial
 * console, the same numbers as @pvhv JSON records for tools/. Times are in
 * nanoseconds (converted from TSC with the calibrated frequency).
 */
#include "report.h"

#include "cfg.h"
#include "fmt.h"
#include "hist.h"
#include "pv_abi.h"
#include "core/console.h"
#include "core/json.h"
#include "core/nmi.h"
#include "core/percpu.h"
#include "core/power.h"
#include "core/time.h"
#include "core/x86.h"
#include "sched/port.h"
#include "sched/sched.h"
#include "trace/trace.h"
#include "virt/barrier.h"
#include "virt/vcpu.h"
#include "virt/vm.h"

#define PARK_WAIT_US 100000
#define MS (1000000ull)

static const char *const hc_names[HC_STAT_COUNT] = {
    [HC_STAT_KICK_CPU] = "kick_cpu", [HC_STAT_SEND_IPI] = "send_ipi",
    [HC_STAT_SCHED_YIELD] = "sched_yield", [HC_STAT_VCPU_START] = "vcpu_start",
    [HC_STAT_REPORT] = "report", [HC_STAT_VM_DONE] = "vm_done",
    [HC_STAT_CONSOLE_WRITE] = "console_write", [HC_STAT_LOCKINFO] = "lockinfo",
    [HC_STAT_FLUSH_TLB] = "flush_tlb",
    [HC_STAT_OPLOG] = "oplog",
    [HC_STAT_INVALID] = "invalid",
};

static void cpu_brand(char *out)
{
    uint32_t r[12];
    for (unsigned i = 0; i < 3; i++)
        cpuid(CPUID_BRAND_FIRST + i, 0, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
    const char *s = (const char *)r;
    while (*s == ' ')
        s++;
    unsigned n = 0;
    for (; n < 47 && s[n]; n++)
        out[n] = s[n];
    out[n] = '\0';
}

/* virt_features ("a b c") as a JSON array of strings. */
static const char *features_json(char *out, unsigned n)
{
    unsigned o = 0;
    out[o++] = '[';
    for (const char *p = virt_features; *p;) {
        if (o > 1)
            out[o++] = ',';
        out[o++] = '"';
        while (*p && *p != ' ' && o < n - 4)
            out[o++] = *p++;
        out[o++] = '"';
        while (*p == ' ')
            p++;
    }
    out[o++] = ']';
    out[o] = '\0';
    return out;
}

static void cfg_kv(void *ctx, const char *key, const char *value, int is_number)
{
    struct json *j = ctx;
    if (is_number)
        json_raw(j, key, value);
    else
        json_str(j, key, value);
}

/* One record per VM with its effective guest-task keys (vmN. overrides
   applied), right after the run record: sixteen full sets would not fit
   the run record's one line. */
static void vm_config_records(const struct cfg *cfg)
{
    static struct cfg eff;
    struct json j;

    for (unsigned i = 0; i < cfg->vms; i++) {
        cfg_vm(cfg, i, &eff);
        json_begin(&j, "vm_config");
        json_u64(&j, "vm", i);
        cfg_for_each_guest(&eff, cfg_kv, &j);
        json_emit(&j);
    }
}

void report_run_record(const struct cfg *cfg, const char *cmdline, const char *backend,
                       const char *loader)
{
    char brand[48], buf[2 * VIRT_FEATURES_MAX + 8];
    struct json j;

    cpu_brand(brand);
    json_begin(&j, "run");
    json_str(&j, "version", "pvhv-1");
    json_str(&j, "backend", backend);
    json_raw(&j, "virt_features", features_json(buf, sizeof(buf)));
    json_str(&j, "cpu", brand);
    json_u64(&j, "pcpus", nr_pcpus);
    json_u64(&j, "tsc_hz", tsc_hz);
    /* "instructions": the platform's clocks follow its instruction count
       (ips= given); "calibrated": tsc_hz was measured against the PIT. */
    json_str(&j, "timing", cfg && cfg->ips ? "instructions" : "calibrated");
    json_u64(&j, "ips", cfg ? cfg->ips : 0);
    json_str(&j, "loader", loader);
    json_str(&j, "cmdline", cmdline);
    if (cfg) {
        json_obj_begin(&j, "config");
        cfg_for_each(cfg, cfg_kv, &j);
        json_obj_end(&j);
    } else {
        json_null(&j, "config");
    }
    json_emit(&j);
    if (cfg)
        vm_config_records(cfg);
}

void report_error(const char *key, const char *value, const char *message)
{
    struct json j;
    json_begin(&j, "error");
    json_str(&j, "key", key);
    if (value)
        json_str(&j, "value", value);
    json_str(&j, "message", message);
    json_emit(&j);
    hv_printf("pvhv: error: %s\n", message);
}

static uint64_t ms_of(uint64_t cycles) { return cycles_to_ns(cycles) / MS; }

static void vcpu_record(struct vcpu *v)
{
    struct json j;
    char hist[1024];
    struct vcpu_stats *s = &v->stats;
    struct sched_stats_entity *ss = &v->se.stats;

    json_begin(&j, "hv_vcpu");
    json_u64(&j, "vm", v->vm->id);
    json_u64(&j, "vcpu", v->id);
    json_str(&j, "state", vcpu_state_names[v->se.state]);
    json_obj_begin(&j, "exits");
    for (unsigned r = 1; r < EXIT_COUNT; r++)
        json_u64(&j, exit_reason_names[r], s->exits[r]);
    json_obj_end(&j);
    json_obj_begin(&j, "hypercalls");
    for (unsigned h = 0; h < HC_STAT_COUNT; h++)
        json_u64(&j, hc_names[h], s->hypercalls[h]);
    json_obj_end(&j);
    json_u64(&j, "run_ns", cycles_to_ns(ss->state_cycles[VCPU_RUNNING]));
    json_u64(&j, "runnable_ns", cycles_to_ns(ss->state_cycles[VCPU_RUNNABLE]));
    json_u64(&j, "blocked_ns", cycles_to_ns(ss->state_cycles[VCPU_BLOCKED]));
    json_u64(&j, "switches", ss->switches);
    json_u64(&j, "migrations", ss->migrations);
    json_u64(&j, "preemptions", ss->preemptions);
    json_u64(&j, "kicks_received", s->kicks_received);
    json_u64(&j, "irqs_injected", s->irqs_injected);
    json_u64(&j, "io_ignored", s->io_ignored);
    json_u64(&j, "tlb_flushes_on_entry", s->tlb_flushes_on_entry);
    json_u64(&j, "guest_tlb_flushes", s->guest_tlb_flushes);
    json_u64(&j, "tlb_hv_requested", s->tlb_hv_requested);
    json_u64(&j, "tlb_hv_flushes", s->tlb_hv_flushes);
    json_u64(&j, "tlb_hv_forced_exits", s->tlb_hv_forced_exits);
    json_u64(&j, "tlb_hv_wait_cycles", s->tlb_hv_wait_cycles);
    json_u64(&j, "pause_exits", s->pause_exits);
    json_u64(&j, "shadowed_hlts", s->shadowed_hlts);
    json_u64(&j, "inject_exits", s->inject_exits);
    json_u64(&j, "lhp", s->lhp);
    json_u64(&j, "waiter_preempt", s->waiter_preempts);
    json_bool(&j, "lockinfo_registered", v->lockinfo_on);
    json_u64(&j, "ple_exits", s->ple_exits);
    json_u64(&j, "ple_window", v->ple_window);
    json_u64(&j, "ple_window_peak", s->ple_window_peak);
    json_u64(&j, "lock_graces", s->lock_graces);
    json_u64(&j, "directed_yields", ss->directed_yields);
    json_u64(&j, "yields_no_candidate", ss->yields_no_candidate);
    json_u64(&j, "kick_yields", ss->kick_yields);
    json_u64(&j, "boosts_limited", ss->boosts_limited);
    json_u64(&j, "steal_registered", (v->steal_msr & PV_STEAL_TIME_ENABLE) != 0);
    pv_hist_json(hist, sizeof(hist), &ss->kick_to_run);
    json_raw(&j, "kick_to_run", hist);
    json_emit(&j);
}

static void vm_record(struct vm *vm)
{
    struct json j;
    json_begin(&j, "vm");
    json_u64(&j, "vm", vm->id);
    json_u64(&j, "vcpus", vm->nr_vcpus);
    json_str(&j, "state", vm->state == VM_DONE ? "done"
                          : vm->state == VM_KILLED ? "killed" : "running");
    json_str(&j, "reason", vm->reason);
    json_u64(&j, "guest_status", vm->guest_status);
    json_u64(&j, "coskew_ns", cycles_to_ns(vm->sg.coskew_cycles));
    uint64_t lhp = 0, wpre = 0;
    for (unsigned c = 0; c < vm->nr_vcpus; c++) {
        lhp += vm->vcpus[c].stats.lhp;
        wpre += vm->vcpus[c].stats.waiter_preempts;
    }
    json_u64(&j, "lhp", lhp);
    json_u64(&j, "waiter_preempt", wpre);
    json_u64(&j, "console_dropped", vm->console_dropped);
    json_u64(&j, "reports_dropped", vm->reports_dropped);
    json_u64(&j, "elapsed_ns", vm->ended_tsc > vm->started_tsc
                               ? cycles_to_ns(vm->ended_tsc - vm->started_tsc) : 0);
    if (vm->state == VM_KILLED && vm->nr_last_ops) {
        /* The guest's own words (PV_HC_OPLOG), escaped: what it did last. */
        json_u64(&j, "last_ops_total", vm->last_ops_next);
        json_arr_begin(&j, "last_ops");
        for (unsigned i = 0; i < vm->nr_last_ops; i++)
            json_arr_str(&j, vm->last_ops[i]);
        json_arr_end(&j);
    }
    json_emit(&j);
}

static void pcpu_record(struct percpu *c)
{
    struct json j;
    json_begin(&j, "pcpu");
    json_u64(&j, "pcpu", c->index);
    json_u64(&j, "apic_id", c->apic_id);
    json_u64(&j, "idle_ns", cycles_to_ns(c->idle_cycles));
    json_u64(&j, "busy_ns", cycles_to_ns(c->busy_cycles));
    json_u64(&j, "vmruns", c->vmruns);
    json_u64(&j, "timer_irqs", c->timer_irqs);
    json_u64(&j, "wake_irqs", c->wake_irqs);
    json_u64(&j, "leaked_db", c->leaked_db);
    json_u64(&j, "nmis", c->nmis);
    json_u64(&j, "nmis_sent", c->nmis_sent);
    json_u64(&j, "vm_switches", vm_barrier_switches(c->index));
    json_emit(&j);
}

static void sched_record(void)
{
    struct json j;
    json_begin(&j, "sched");
    json_str(&j, "policy", sched_policy_name());
    json_u64(&j, "slice_us", sched_slice_us());
    json_str(&j, "locks", sched_port_lock_kind());
    json_u64(&j, "gang_switches", sched_stats.gang_switches);
    json_u64(&j, "cross_vm_overlaps", sched_stats.cross_vm_overlaps);
    json_u64(&j, "wakeup_preemptions", sched_stats.wakeup_preemptions);
    json_u64(&j, "kick_swaps", sched_stats.kick_swaps);
    json_u64(&j, "balance_pulls", sched_stats.balance_pulls);
    json_u64(&j, "idle_pulls", sched_stats.idle_pulls);
    json_u64(&j, "boosts_limited", sched_stats.boosts_limited);
    json_bool(&j, "ple", virt_settings.ple);
    json_bool(&j, "ple_hw", virt_settings.ple_hw);
    json_emit(&j);
}

static void human_tables(void)
{
    hv_printf("\n== pvhv: hypervisor statistics (times in ms) ==\n");
    hv_printf("%-10s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %6s %6s\n", "vcpu", "exits",
              "hcalls", "hlt", "io", "run", "runnable", "blocked", "switch", "migr",
              "kicks_in", "lhp", "wpre");
    for (unsigned i = 0; i < nr_vms; i++) {
        for (unsigned c = 0; c < vms[i].nr_vcpus; c++) {
            struct vcpu *v = &vms[i].vcpus[c];
            struct vcpu_stats *s = &v->stats;
            struct sched_stats_entity *ss = &v->se.stats;
            uint64_t total = 0;
            for (unsigned r = 1; r < EXIT_COUNT; r++)
                total += s->exits[r];
            char name[16];
            pv_snprintf(name, sizeof(name), "vm%u.%u", i, c);
            hv_printf("%-10s %8lu %8lu %8lu %8lu %8lu %8lu %8lu %8lu %8lu %8lu %6lu %6lu\n",
                      name, total, s->exits[EXIT_HYPERCALL], s->exits[EXIT_HLT],
                      s->exits[EXIT_IO], ms_of(ss->state_cycles[VCPU_RUNNING]),
                      ms_of(ss->state_cycles[VCPU_RUNNABLE]),
                      ms_of(ss->state_cycles[VCPU_BLOCKED]), ss->switches, ss->migrations,
                      s->kicks_received, s->lhp, s->waiter_preempts);
        }
    }
    hv_printf("%-10s %10s %10s %10s\n", "pcpu", "idle_ms", "busy_ms", "vmruns");
    for (unsigned i = 0; i < nr_pcpus; i++)
        hv_printf("%-10u %10lu %10lu %10lu\n", i, ms_of(percpus[i].idle_cycles),
                  ms_of(percpus[i].busy_cycles), percpus[i].vmruns);
    hv_printf("%-6s %-8s %s\n", "vm", "state", "reason");
    for (unsigned i = 0; i < nr_vms; i++)
        hv_printf("vm%-4u %-8s %s\n", i, vms[i].state == VM_DONE ? "done" : "killed",
                  vms[i].reason);
}

void report_and_finish(void)
{
    /* Let the other pCPUs park so their counters are final. */
    uint64_t deadline = rdtsc() + ns_to_cycles(PARK_WAIT_US * 1000ull);
    for (unsigned i = 1; i < nr_pcpus; i++)
        while (__atomic_load_n(&percpus[i].online, __ATOMIC_ACQUIRE) != 2 && rdtsc() < deadline)
            cpu_relax();
    human_tables();
    trace_report();
    for (unsigned i = 0; i < nr_vms; i++)
        for (unsigned c = 0; c < vms[i].nr_vcpus; c++)
            vcpu_record(&vms[i].vcpus[c]);
    nmi_test_settle();
    for (unsigned i = 0; i < nr_pcpus; i++)
        pcpu_record(&percpus[i]);
    sched_record();
    int pass = 1;
    for (unsigned i = 0; i < nr_vms; i++) {
        vm_record(&vms[i]);
        if (vms[i].state != VM_DONE || vms[i].guest_status != 0)
            pass = 0;
    }
    power_finish(pass, pass ? "every VM finished and reported success"
                            : "a VM was killed or reported failure");
}
