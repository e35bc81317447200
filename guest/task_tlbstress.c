/*
 * tlbstress (DESIGN §6, §9): writer vCPUs keep remapping the pages of a
 * shared window to fresh frames and shoot the old translations down
 * (tlb=native: IPI everyone and wait; tlb=pv: leave preempted vCPUs to the
 * hypervisor; tlb=hv: one hypercall flushes them all); reader vCPUs keep reading through the window and count every
 * read that went through a translation a completed shootdown had removed.
 */
#include "tasks.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "hist.h"
#include "percpu.h"
#include "pv_options.h"
#include "pvstring.h"
#include "report.h"
#include "smp.h"
#include "tlbflush.h"
#include "tsc.h"
#include "vmm.h"
#include "window.h"

#define TS_MAX_WRITERS PV_OPT_TLB_WRITERS_MAX
#define TS_MAX_GROUPS 64      /* frame generations a writer cycles through */
#define TS_MAX_DURATION_MS PV_OPT_DURATION_MAX_MS

/*
 * A frame's first qword says which window page it was filled for, and in
 * which generation. A read that finds anything but the page's own magic and
 * slot (a poisoned retired frame, another page's frame) or a generation
 * older than the page's last completed shootdown went through a stale
 * translation.
 */
#define SIG_MAGIC    0x7E5ull     /* bits 63:52; slot 51:40; generation 39:0 */
#define SIG_POISON   0xDEADDEADDEADDEADull
#define SIG_GEN_BITS 40
#define SIG_GEN_MASK ((1ull << SIG_GEN_BITS) - 1)
#define SIG_SLOT_MASK 0xFFFull

static uint64_t sig_make(unsigned slot, uint64_t gen)
{
    return SIG_MAGIC << 52 | (uint64_t)slot << SIG_GEN_BITS |
           (gen & SIG_GEN_MASK);
}

/* Whether sig, read from window page slot after that page's completed
   generation was seen to be completed, is what a correct TLB can return. */
static int sig_fresh(uint64_t sig, unsigned slot, uint64_t completed)
{
    return sig >> 52 == SIG_MAGIC &&
           ((sig >> SIG_GEN_BITS) & SIG_SLOT_MASK) == slot &&
           (sig & SIG_GEN_MASK) >= completed;
}

/* A writer owns the window pages slot % writers == its id: each page has
   one writer, so its completed generation only grows. Its frames are
   `groups` sets of `owned` frames; shootdown k maps set (k + 1) % groups
   and retires set k % groups. */
struct ts_writer {
    unsigned owned;
    unsigned groups;
    uint64_t frames;          /* GPA of the first frame */
};

struct ts_vcpu {
    struct tlb_flush_stats fl;
    struct pv_hist latency;
    uint64_t reads, stale_reads;
    struct pv_span span;      /* a writer's stress window (window.h) */
    char json[PV_REPORT_MAX];
} __attribute__((aligned(64)));

static struct {
    enum tlb_mode asked, mode;
    unsigned pages, writers;
    uint64_t duration_ms, ops;
} cfg;

static struct ts_writer writers[TS_MAX_WRITERS];
static struct ts_vcpu vcpus[PV_MAX_VCPUS];
static uint64_t completed[VMM_WINDOW_PAGES]; /* per page, published */
static uint64_t generation;                  /* last generation handed out */
static uint32_t writers_done;
static uint64_t vm_start;
static struct {
    struct pv_hist latency;
    char json[PV_REPORT_MAX];
} vm_sum;
static int frames_ready;

static void configure(void)
{
    char name[16];

    cfg.asked = TLB_PV;
    if (cfg_str("tlb", name, sizeof(name)) >= 0) {
        if (strcmp(name, "native") && strcmp(name, "pv") && strcmp(name, "hv"))
            cfg_bad("tlb", name, "allowed: native, pv, hv");
        cfg.asked = !strcmp(name, "native") ? TLB_NATIVE
                  : !strcmp(name, "hv") ? TLB_HV : TLB_PV;
    }
    cfg.pages = (unsigned)cfg_u64("tlb_pages", PV_OPT_TLB_PAGES, 1, VMM_WINDOW_PAGES);
    cfg.writers = (unsigned)cfg_u64("tlb_writers", PV_OPT_TLB_WRITERS, 1, TS_MAX_WRITERS);
    cfg.duration_ms = cfg_u64("duration", PV_OPT_DURATION_MS, 1, TS_MAX_DURATION_MS);
    cfg.ops = cfg_u64("ops", PV_OPT_OPS, 0, UINT64_MAX);
    tlbflush_init();
}

static uintptr_t page_va(unsigned slot)
{
    return VMM_WINDOW_BASE + (uintptr_t)slot * PAGE_SIZE;
}

static volatile uint64_t *frame(const struct ts_writer *w, unsigned group,
                                unsigned j)
{
    return (volatile uint64_t *)(uintptr_t)(w->frames +
        ((uint64_t)group * w->owned + j) * PAGE_SIZE);
}

/* Frames for every writer, once per VM (a second tlbstress reuses them). */
static void alloc_frames(void)
{
    uint64_t per_writer = vmm_frames_left() / cfg.writers;

    for (unsigned w = 0; w < cfg.writers; w++) {
        struct ts_writer *wr = &writers[w];
        uint64_t groups;

        wr->owned = cfg.pages / cfg.writers + (w < cfg.pages % cfg.writers);
        groups = wr->owned ? per_writer / wr->owned : 0;
        if (groups > TS_MAX_GROUPS)
            groups = TS_MAX_GROUPS;
        if (wr->owned && groups < 2) {
            kprintf("tlbstress: %u pages need %u frames per writer; only "
                    "%lu free frames in all\n", cfg.pages, 2 * wr->owned,
                    vmm_frames_left());
            guest_fail(FAIL_CONFIG, "tlbstress: not enough RAM (mem=)");
        }
        wr->groups = wr->owned ? (unsigned)groups : 1; /* a writer with no
                                                          page still flushes */
        wr->frames = wr->owned ? vmm_alloc_frames(groups * wr->owned) : 0;
    }
    frames_ready = 1;
}

/* vCPU0, while every other vCPU waits at the barrier after this. */
static void setup(void)
{
    unsigned n = env.bi->nr_vcpus;

    if (cfg.writers >= n) {
        kprintf("tlbstress: tlb_writers=%u needs more than %u vCPUs (at "
                "least one must read)\n", cfg.writers, n);
        guest_fail(FAIL_CONFIG, "tlbstress: tlb_writers >= vcpus");
    }
    cfg.mode = tlbflush_mode(cfg.asked);
    if (!frames_ready) {
        vmm_init();
        alloc_frames();
    }
    /* Generation 1 is the first mapping; every other frame is poisoned. */
    generation = 1;
    writers_done = 0;
    for (unsigned w = 0; w < cfg.writers; w++)
        for (unsigned g = 0; g < writers[w].groups; g++)
            for (unsigned j = 0; j < writers[w].owned; j++)
                *frame(&writers[w], g, j) = SIG_POISON;
    for (unsigned slot = 0; slot < VMM_WINDOW_PAGES; slot++) {
        if (slot >= cfg.pages) {
            vmm_unmap(page_va(slot));
            continue;
        }
        const struct ts_writer *w = &writers[slot % cfg.writers];
        volatile uint64_t *f = frame(w, 0, slot / cfg.writers);

        *f = sig_make(slot, 1);
        vmm_remap(page_va(slot), (uintptr_t)f);
        __atomic_store_n(&completed[slot], 1, __ATOMIC_RELEASE);
    }
    for (unsigned i = 0; i < PV_MAX_VCPUS; i++) {
        vcpus[i].fl = (struct tlb_flush_stats){ 0 };
        vcpus[i].latency = (struct pv_hist){ 0 };
        vcpus[i].reads = vcpus[i].stale_reads = 0;
        vcpus[i].span = (struct pv_span){ 0 };
    }
    tlbflush_reset_counters();
}

static uint64_t others(unsigned cpu)
{
    unsigned n = env.bi->nr_vcpus;
    uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;

    return all & ~(1ull << cpu);
}

static void write_loop(unsigned cpu, struct ts_vcpu *me)
{
    const struct ts_writer *w = &writers[cpu];
    uint64_t t_start = rdtsc(), deadline = t_start + tsc_ms_to_cycles(cfg.duration_ms);
    uintptr_t start = page_va(0), end = page_va(cfg.pages);

    me->span.start = t_start;
    me->span.deadline = deadline;

    for (uint64_t k = 0;; k++) {
        unsigned next = (unsigned)((k + 1) % w->groups);
        unsigned old = (unsigned)(k % w->groups);
        uint64_t gen, t0, t1;

        if (cfg.ops ? k >= cfg.ops : rdtsc() >= deadline)
            break;
        gen = __atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
        /* Signature first, then the PTE (an atomic exchange, so ordered
           after it): whoever sees the new mapping sees the signature. */
        for (unsigned j = 0; j < w->owned; j++) {
            unsigned slot = j * cfg.writers + cpu;

            *frame(w, next, j) = sig_make(slot, gen);
            vmm_remap(page_va(slot), (uintptr_t)frame(w, next, j));
        }
        t0 = rdtsc();
        flush_tlb_others(others(cpu), start, end, cfg.mode, &me->fl);
        t1 = rdtsc();
        pv_hist_add(&me->latency, t1 - t0);
        me->span.total++;
        me->span.in_window += cfg.ops || t1 <= deadline;
        /* Every other vCPU has dropped (or will drop before it runs) the
           old translations: publish, then poison the retired frames so a
           translation that survived would read garbage. */
        for (unsigned j = 0; j < w->owned; j++) {
            __atomic_store_n(&completed[j * cfg.writers + cpu], gen,
                             __ATOMIC_RELEASE);
            *frame(w, old, j) = SIG_POISON;
        }
    }
    me->span.end = rdtsc();
    __atomic_add_fetch(&writers_done, 1, __ATOMIC_ACQ_REL);
}

static void read_loop(unsigned cpu, struct ts_vcpu *me)
{
    (void)cpu;
    while (__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE) < cfg.writers) {
        for (unsigned slot = 0; slot < cfg.pages; slot++) {
            /* The completed generation before the read starts: any frame
               the read may legally reach is at least that new. */
            uint64_t c = __atomic_load_n(&completed[slot], __ATOMIC_ACQUIRE);
            uint64_t sig = *(volatile uint64_t *)page_va(slot);

            me->reads++;
            if (sig_fresh(sig, slot, c))
                continue;
            if (me->stale_reads++ == 0)
                kprintf("tlbstress vcpu %u: STALE read of page %u: 0x%lx, "
                        "completed generation %lu\n", cpu, slot, sig, c);
        }
    }
}

/* The tlbwait fields of a record; one caller at a time per vCPU. */
static const char *wait_fields(const struct tlb_wait_stats *w)
{
    static char buf[PV_MAX_VCPUS][320];
    tlbwait_json(buf[this_cpu()], sizeof(buf[0]), w);
    return buf[this_cpu()];
}

static void report_vcpu(unsigned cpu, struct ts_vcpu *me)
{
    const char *name = tlbflush_mode_name(cfg.mode);
    size_t n = sizeof(me->json);
    int a, b, c;

    a = pv_snprintf(me->json, n, "{\"kind\":\"tlb_vcpu\",\"tlb\":\"%s\","
                    "\"writer\":%s,\"shootdowns\":%lu,\"latency\":", name,
                    cpu < cfg.writers ? "true" : "false", me->fl.shootdowns);
    b = pv_hist_json(me->json + a, n - (size_t)a, &me->latency);
    c = (size_t)(a + b) >= n ? 0 : pv_snprintf(me->json + a + b,
                    n - (size_t)(a + b),
                    ",\"ipis_sent\":%lu,\"targets_skipped\":%lu,"
                    "\"handed_over\":%lu,\"deferred_flushes\":%lu,"
                    "\"hv_targets\":%lu,\"hv_flushes\":%lu%s,"
                    "\"deferred_flushes_received\":%lu,\"flush_irqs\":%lu,"
                    "\"reads\":%lu,\"stale_reads\":%lu}",
                    me->fl.ipis_sent, me->fl.targets_skipped, me->fl.handed_over,
                    me->fl.deferred_flushes, me->fl.hv_targets, me->fl.hv_flushes,
                    wait_fields(&me->fl.wait),
                    tlbflush_deferred_received(cpu),
                    tlbflush_irqs(cpu), me->reads, me->stale_reads);
    if ((size_t)(a + b + c) >= n)
        kprintf("tlbstress vcpu %u: report would need %d bytes, dropped\n",
                cpu, a + b + c);
    else
        report_json(me->json, (size_t)(a + b + c));
    if (cpu < cfg.writers)
        kprintf("tlbstress vcpu %u: %s writer shootdowns=%lu lat p50<=%lu "
                "p99<=%lu max=%lu ipis=%lu skipped=%lu deferred=%lu\n",
                cpu, name, me->fl.shootdowns,
                pv_hist_percentile(&me->latency, 50),
                pv_hist_percentile(&me->latency, 99), me->latency.max,
                me->fl.ipis_sent, me->fl.targets_skipped,
                me->fl.deferred_flushes);
    else
        kprintf("tlbstress vcpu %u: %s reader reads=%lu stale=%lu "
                "flush_irqs=%lu deferred_received=%lu\n", cpu, name,
                me->reads, me->stale_reads, tlbflush_irqs(cpu),
                tlbflush_deferred_received(cpu));
}

/* vCPU0, after everyone finished: the VM-wide line and the verdict. */
static enum guest_fail_code report_vm(uint64_t elapsed)
{
    __typeof__(vm_sum) *sum = &vm_sum;
    const char *name = tlbflush_mode_name(cfg.mode);
    uint64_t hz = env.bi->tsc_hz, reads = 0, stale = 0, win_n, window, tput;
    unsigned n = env.bi->nr_vcpus;
    struct tlb_flush_stats fl = { 0 };
    struct pv_span spans[TS_MAX_WRITERS];
    size_t cap = sizeof(sum->json);
    int a, b, c;

    sum->latency = (struct pv_hist){ 0 };
    for (unsigned i = 0; i < n; i++) {
        fl.shootdowns += vcpus[i].fl.shootdowns;
        fl.ipis_sent += vcpus[i].fl.ipis_sent;
        fl.targets_skipped += vcpus[i].fl.targets_skipped;
        fl.deferred_flushes += vcpus[i].fl.deferred_flushes;
        fl.handed_over += vcpus[i].fl.handed_over;
        fl.hv_targets += vcpus[i].fl.hv_targets;
        fl.hv_flushes += vcpus[i].fl.hv_flushes;
        tlbwait_add(&fl.wait, &vcpus[i].fl.wait);
        reads += vcpus[i].reads;
        stale += vcpus[i].stale_reads;
        pv_hist_merge(&sum->latency, &vcpus[i].latency);
    }
    /* The rate's window is the writers' stress phase, not the time to the
       end barrier (window.h): the barrier waits for every vCPU, readers
       and descheduled ones included, and under Bochs for another VM's
       reports. */
    for (unsigned w = 0; w < cfg.writers; w++)
        spans[w] = vcpus[w].span;
    window = pv_stress_window(spans, cfg.writers, cfg.ops != 0, &win_n);
    tput = window ? muldiv64(win_n, hz, window) : 0;
    a = pv_snprintf(sum->json, cap, "{\"kind\":\"tlb_vm\",\"tlb\":\"%s\","
                    "\"tlb_asked\":\"%s\",\"vcpus\":%u,\"pages\":%u,"
                    "\"writers\":%u,\"shootdowns\":%lu,\"latency\":", name,
                    tlbflush_mode_name(cfg.asked), n, cfg.pages,
                    cfg.writers, fl.shootdowns);
    b = pv_hist_json(sum->json + a, cap - (size_t)a, &sum->latency);
    c = (size_t)(a + b) >= cap ? 0 : pv_snprintf(sum->json + a + b,
                    cap - (size_t)(a + b),
                    ",\"ipis_sent\":%lu,\"targets_skipped\":%lu,"
                    "\"handed_over\":%lu,\"deferred_flushes\":%lu,"
                    "\"hv_targets\":%lu,\"hv_flushes\":%lu%s,\"reads\":%lu,"
                    "\"stale_reads\":%lu,\"elapsed_cycles\":%lu,"
                    "\"window_shootdowns\":%lu,\"window_cycles\":%lu,"
                    "\"tsc_hz\":%lu,\"throughput\":%lu}",
                    fl.ipis_sent, fl.targets_skipped, fl.handed_over,
                    fl.deferred_flushes, fl.hv_targets, fl.hv_flushes,
                    wait_fields(&fl.wait), reads, stale, elapsed, win_n,
                    window, hz, tput);
    if ((size_t)(a + b + c) < cap)
        report_json(sum->json, (size_t)(a + b + c));
    kprintf("tlbstress vm %u: %s pages=%u writers=%u shootdowns=%lu lat "
            "p50<=%lu p99<=%lu ipis=%lu skipped=%lu deferred=%lu reads=%lu "
            "stale=%lu in %lu cycles (%lu in the %lu-cycle window) = %lu/s\n",
            env.bi->vm_id, name, cfg.pages, cfg.writers, fl.shootdowns,
            pv_hist_percentile(&sum->latency, 50),
            pv_hist_percentile(&sum->latency, 99), fl.ipis_sent,
            fl.targets_skipped, fl.deferred_flushes, reads, stale, elapsed,
            win_n, window, tput);
    return stale ? FAIL_STALE_TLB : FAIL_NONE;
}

static enum guest_fail_code run(unsigned cpu)
{
    struct ts_vcpu *me = &vcpus[cpu];
    uint64_t elapsed = 0;

    if (cpu == 0)
        setup();
    smp_barrier();          /* the window is mapped; nobody holds an older
                               translation of it (an earlier run's) */
    tlb_flush_local(page_va(0), page_va(VMM_WINDOW_PAGES));
    smp_barrier();
    if (cpu == 0)
        vm_start = rdtsc();
    if (cpu < cfg.writers)
        write_loop(cpu, me);
    else
        read_loop(cpu, me);
    smp_barrier();          /* everyone is done: the VM's elapsed time */
    if (cpu == 0)
        elapsed = rdtsc() - vm_start;
    report_vcpu(cpu, me);
    smp_barrier();          /* all per-vCPU lines are out before the VM's */
    return cpu == 0 ? report_vm(elapsed) : FAIL_NONE;
}

const struct task task_tlbstress = {
    .name = "tlbstress",
    .configure = configure,
    .run = run,
};
