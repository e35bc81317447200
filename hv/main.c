/*
 * hv_main: the boot sequence of DESIGN §3 on the BSP, from the loader's
 * hand-over to the run loop. It is the one file that calls every layer and
 * wires the upper layers' hooks into the lower ones (panic dump, end
 * record, AP entry, pv ops, end of run). Every failure before the VMs run
 * ends the run with an error record naming what was wrong.
 */
#include "backend.h"
#include "cfg.h"
#include "end.h"
#include "fmt.h"
#include "pv_abi.h"
#include "pvstring.h"
#include "report.h"
#include "acpi.h"
#include "core/bootinfo.h"
#include "core/console.h"
#include "core/idt.h"
#include "core/lapic.h"
#include "core/nmi.h"
#include "core/panic.h"
#include "core/percpu.h"
#include "core/power.h"
#include "core/smp.h"
#include "core/time.h"
#include "core/x86.h"
#include "mm/frame.h"
#include "mm/page.h"
#include "pv/pv.h"
#include "sched/sched.h"
#include "trace/trace.h"
#include "virt/run.h"
#include "virt/virt.h"
#include "virt/vm.h"

extern uint8_t __image_start[], __image_end[];

static struct boot_info bi;
static struct cfg cfg;

static void __attribute__((noreturn)) fail(const char *key, const char *value, const char *msg)
{
    report_error(key, value, msg);
    power_finish(0, msg);
}

static void __attribute__((noreturn)) ap_main(struct percpu *cpu)
{
    virt_cpu_enable(cpu);
    run_loop();
}

static const struct smp_hooks smp_hooks = {
    .alloc_stack = pages_alloc_zeroed,
    .ap_main = ap_main,
};

static void init_frames(void)
{
    struct mem_region reserved[2 + BOOT_MAX_MODULES];
    unsigned n = 0;
    uint64_t ignored;

    reserved[n++] = (struct mem_region){ 0, LOW_MEMORY_END };
    reserved[n++] = (struct mem_region){ (uint64_t)(uintptr_t)__image_start,
                                         (uint64_t)(uintptr_t)__image_end };
    for (unsigned i = 0; i < bi.nr_modules; i++)
        reserved[n++] = (struct mem_region){ bi.modules[i].start, bi.modules[i].end };
    frame_init(bi.usable, bi.nr_usable, reserved, n, &ignored);
    if (ignored)
        hv_printf("pvhv: %lu MiB of RAM above 4 GiB is not used (identity map limit)\n",
                  ignored >> 20);
}

/* The scheduler and the end of the run, from the configuration. */
static void init_scheduler(void)
{
    struct sched_params sp = {
        .policy = cfg.sched,
        .slice_us = cfg.slice_ms * 1000,
        .slice_cycles = ns_to_cycles(cfg.slice_ms * 1000000),
        .boost = cfg.boost,
        .nr_cpus = nr_pcpus,
        .stagger = cfg.stagger,
        .kick_yield = cfg.kick_yield,
        .cfs_latency = ns_to_cycles(cfg.cfs_latency_us * 1000),
        .cfs_min_gran = ns_to_cycles(cfg.cfs_min_gran_us * 1000),
        .cfs_wakeup_gran = ns_to_cycles(cfg.cfs_wakeup_gran_us * 1000),
        .cfs_tick = ns_to_cycles(cfg.cfs_tick_us * 1000),
        .cfs_migration_cost = ns_to_cycles(cfg.cfs_migration_cost_us * 1000),
        .cfs_balance = ns_to_cycles(cfg.cfs_balance_us * 1000),
        .irq_wakeable = run_irq_wakeable,
    };
    if (sched_init(&sp))
        fail("sched", cfg.sched, "unknown scheduler policy");
    end_init(cfg.timeout_ms);
}

static void build_vms(void)
{
    /* Each guest sees only its own values (vmN. overrides applied). */
    static char guest_cmdlines[MAX_VMS][PV_CMDLINE_MAX];
    static struct cfg eff;
    static char err[256];
    const char *key;
    for (unsigned i = 0; i < cfg.vms; i++) {
        cfg_vm(&cfg, i, &eff);
        if (cfg_format_cmdline(&eff, guest_cmdlines[i], sizeof(guest_cmdlines[i]))) {
            report_error("cmdline", 0, "effective configuration does not fit the guest's command line");
            power_finish(0, "could not build the VMs");
        }
    }
    if (vm_create_all(&cfg, guest_cmdlines, bi.modules, bi.nr_modules, &key, err,
                      sizeof(err))) {
        report_error(key, 0, err);
        power_finish(0, "could not build the VMs");
    }
}

void hv_main(uint32_t magic, uint64_t info)
{
    static char err[256];
    static uint32_t apic_ids[MAX_PCPUS];
    struct cfg_error cerr;

    panic_set_dump_hook(vcpu_dump_current);
    power_set_end_fields(vm_end_fields);
    virt_pv = &pv_kvm_ops;
    serial_init();
    percpus[0].index = 0;
    percpu_install(&percpus[0]);
    nr_pcpus = 1;
    idt_init();
    idt_load();
    pic_disable();
    hv_printf("\npvhv: booting\n");

    if (bootinfo_parse(magic, info, &bi, err, sizeof(err)))
        fail("loader", 0, err);
    init_frames();
    int cfg_bad = cfg_parse(bi.cmdline, &cfg, &cerr);
    if (!cfg_bad && cfg.ips)
        tsc_set_hz(cfg.ips);
    else
        tsc_calibrate();
    lapic_init();
    percpus[0].apic_id = lapic_id();
    lapic_timer_calibrate();
    int ncpu = acpi_find_cpus(bi.rsdp, 0, apic_ids, MAX_PCPUS, err, sizeof(err));
    if (ncpu < 0) {
        apic_ids[0] = percpus[0].apic_id;
        ncpu = 1;
        hv_printf("pvhv: %s; running on the boot CPU only\n", err);
    }
    const char *forced = cfg_bad ? "auto" : cfg.backend;
    char verr[256];
    if (!cfg_bad) {   /* the probe decides which features to use from these */
        virt_settings.ple = cfg.ple;
        virt_settings.ple_window = (uint32_t)cfg.ple_window;
        virt_settings.ple_gap = (uint32_t)cfg.ple_gap;
        virt_settings.ple_exits = (uint32_t)cfg.ple_exits;
        virt_settings.ple_grow = (uint32_t)cfg.ple_grow;
        virt_settings.ple_shrink = (uint32_t)cfg.ple_shrink;
        virt_settings.ple_window_max = (uint32_t)cfg.ple_window_max;
        virt_settings.lock_grace_us = cfg.lock_grace_us;
        virt_settings.hw_off = virt_off_bits(cfg.hw_off);
        nmi_test = cfg.nmi_test;
    }
    virt = virt_probe(forced, verr, sizeof(verr));
    if (!cfg_bad && virt)
        smp_start_aps(apic_ids, (unsigned)ncpu, percpus[0].apic_id, &smp_hooks);

    report_run_record(cfg_bad ? 0 : &cfg, bi.cmdline, virt ? virt->name : "none", bi.loader);
    if (bi.cmdline_truncated)
        fail("cmdline", 0, "the command line is longer than 1023 characters");
    if (cfg_bad)
        fail(cerr.key, cerr.value, cerr.message);
    if (!virt)
        fail(!strcmp(cfg.backend, "auto") ? "cpu" : "backend", cfg.backend, verr);
    const char *bad = virt->check_settings ? virt->check_settings(cerr.value,
                                                   sizeof(cerr.value), verr, sizeof(verr)) : 0;
    if (bad)
        fail(bad, cerr.value, verr);
    if (cfg_check_platform(&cfg, frame_largest_run(PAGE_2M) * FRAME_SIZE, &cerr))
        fail(cerr.key, cerr.value, cerr.message);
    if (bi.nr_modules == 0)
        fail("guest", 0, "no guest kernel module was loaded (QEMU: -initrd build/guest.elf; "
                         "GRUB: module2 /boot/guest.elf)");
    /* Module i is VM i's guest; one no VM would run is a mistake to say. */
    if (bi.modules_dropped || bi.nr_modules > cfg.vms) {
        pv_snprintf(err, sizeof(err), "%u guest modules for vms=%lu: module %lu (%s) would "
                    "never run (module i is VM i's guest; fewer modules repeat the last)",
                    bi.nr_modules + bi.modules_dropped, cfg.vms, cfg.vms,
                    cfg.vms < bi.nr_modules ? bi.modules[cfg.vms].name : "dropped");
        fail("guest", 0, err);
    }
    power_set_done_action(cfg.done == CFG_DONE_REBOOT ? POWER_DONE_REBOOT
                          : cfg.done == CFG_DONE_HALT ? POWER_DONE_HALT : POWER_DONE_EXIT);
    init_scheduler();

    hv_printf("pvhv: %u pCPUs, backend %s, TSC %lu Hz, %lu VMs x %lu vCPUs, %lu MiB each\n",
              nr_pcpus, virt->name, tsc_hz, cfg.vms, cfg.vcpus, cfg.mem >> 20);
    virt_cpu_enable(&percpus[0]);
    build_vms();
    if (trace_init(&cfg))
        fail("trace_events", 0, "not enough free memory for the trace buffers");
    smp_release();
    run_loop();
}
