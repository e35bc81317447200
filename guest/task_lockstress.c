/*
 * lockstress (DESIGN §5, §9): every vCPU hammers a few shared locks, checks
 * mutual exclusion on each critical section, and measures acquire latency.
 * Over-committed vCPUs make lock-holder preemption visible: compare
 * lock=ticket with lock=pvticket, or any kind of the zoo. lock= may list
 * several kinds (lock=tas,mcs): the task then runs one phase per kind, one
 * after the other, each for the full duration and with its own report, so
 * one boot can check them all.
 */
#include "tasks.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "env.h"
#include "fmt.h"
#include "hist.h"
#include "lock.h"
#include "lockinfo.h"
#include "lockplat.h"
#include "pv_options.h"
#include "report.h"
#include "pvstring.h"
#include "rng.h"
#include "smp.h"
#include "tsc.h"

#define LS_MAX_LOCKS PV_OPT_LOCKS_MAX
#define LS_DATA_WORDS 4      /* power of two: indexed by i & (WORDS - 1) */
#define LS_NO_OWNER 0xFFFFFFFFu
#define LS_MAX_WORK 10000000ull
#define LS_MAX_DURATION_MS PV_OPT_DURATION_MAX_MS
#define LS_SEED_MIX_VM  0x9E3779B97F4A7C15ull
#define LS_SEED_MIX_CPU 0xBF58476D1CE4E5B9ull

/* One lock and the data it protects. counter is deliberately not atomic:
   with mutual exclusion it ends equal to the lock's acquisitions. */
struct ls_lock {
    pv_spinlock_t lock;
    volatile uint32_t owner;
    uint64_t counter;
    volatile uint64_t data[LS_DATA_WORDS];
    uint64_t acquisitions; /* summed atomically after the run */
} __attribute__((aligned(64)));

/* One vCPU's results; only that vCPU writes them during the run. */
struct ls_vcpu {
    uint64_t acquisitions;
    uint64_t in_window;  /* acquired by this vCPU's deadline (all with ops=) */
    uint64_t start, deadline;
    uint64_t violations;
    uint64_t per_lock[LS_MAX_LOCKS];
    struct pv_hist latency;
    char json[PV_REPORT_MAX];
} __attribute__((aligned(64)));

static struct {
    enum pv_lock_kind phases[PV_LOCK_KINDS];
    unsigned nphases, phase;   /* phase: the one running now */
    enum pv_lock_kind asked, kind;
    uint32_t spin_threshold;
    unsigned locks;
    uint64_t cs, think, duration_ms, ops, seed;
    int preempt_check;         /* preempt_check=on: watch the holder */
} cfg;

static struct ls_lock locks[LS_MAX_LOCKS];
static struct ls_vcpu vcpus[PV_MAX_VCPUS];
static struct pv_lock_cpu_stats lstats[PV_MAX_VCPUS];
static uint64_t vm_start;

#define LS_LOCK_LIST_MAX 64

/* lock=KIND[,KIND...]: each a kind, each at most once. */
static void parse_lock_list(void)
{
    char list[LS_LOCK_LIST_MAX];
    const char *allowed = "allowed: ticket, pvticket, tas, mcs, qspin, "
                          "pvqspin, pticket, or a comma-separated list of "
                          "them, each at most once";

    cfg.phases[0] = PV_LOCK_PVTICKET;
    cfg.nphases = 1;
    if (cfg_str("lock", list, sizeof(list)) < 0)
        return;
    cfg.nphases = 0;
    for (char *p = list;;) {
        char *e = p;
        char save;
        enum pv_lock_kind k;

        while (*e && *e != ',')
            e++;
        save = *e;
        *e = 0;
        if (pv_lock_kind_parse(p, &k) != 0)
            cfg_bad("lock", p, allowed);
        for (unsigned i = 0; i < cfg.nphases; i++)
            if (cfg.phases[i] == k)
                cfg_bad("lock", p, "repeated in the list");
        cfg.phases[cfg.nphases++] = k;  /* fits: no kind twice */
        if (!save)
            break;
        p = e + 1;
    }
}

static void configure(void)
{
    char name[16];

    parse_lock_list();
    cfg.asked = cfg.phases[0];
    cfg.spin_threshold = (uint32_t)cfg_u64("spin_threshold",
                                           PV_OPT_SPIN_THRESHOLD, 1,
                                           1u << 31);
    cfg.locks = (unsigned)cfg_u64("locks", PV_OPT_LOCKS, 1, LS_MAX_LOCKS);
    cfg.cs = cfg_u64("cs", PV_OPT_CS, 0, LS_MAX_WORK);
    cfg.think = cfg_u64("think", PV_OPT_THINK, 0, LS_MAX_WORK);
    cfg.duration_ms = cfg_u64("duration", PV_OPT_DURATION_MS, 1, LS_MAX_DURATION_MS);
    cfg.ops = cfg_u64("ops", PV_OPT_OPS, 0, UINT64_MAX);
    cfg.seed = cfg_u64("seed", PV_OPT_SEED, 0, UINT64_MAX);
    cfg.kind = cfg.asked;
    cfg.preempt_check = 0;
    if (cfg_str("preempt_check", name, sizeof(name)) >= 0) {
        if (!strcmp(name, "on"))
            cfg.preempt_check = 1;
        else if (strcmp(name, "off"))
            cfg_bad("preempt_check", name, "allowed: on, off");
    }
}

/* vCPU0, while every other vCPU waits at the barrier after this. */
static void setup(void)
{
    cfg.asked = cfg.kind = cfg.phases[cfg.phase];
    /* pvqspin halts and kicks: without PV_UNHALT use qspin, as Linux
       does. pvticket keeps its own code (tickets by 2, the unlock's flag
       test) with the slow path off (lockplat gives it no halt), as the
       paper's kernel runs it on bare metal: the native baseline then
       measures what the pv lock itself costs. */
    if (cfg.asked == PV_LOCK_PVQSPIN && !pv_has(PV_FEATURE_PV_UNHALT)) {
        cfg.kind = PV_LOCK_QSPIN;
        kprintf("lockstress: lock=pvqspin needs PV_UNHALT, which %s; using "
                "qspin\n", env.pv ? "pvhv does not offer"
                                  : "a native run does not have");
    }
    if (cfg.asked == PV_LOCK_PVTICKET && !lockplat_can_sleep())
        kprintf("lockstress: lock=pvticket without PV_UNHALT (%s): no slow "
                "path, waiters spin as with ticket\n",
                env.pv ? "pvhv does not offer it" : "native run");
    for (unsigned i = 0; i < LS_MAX_LOCKS; i++)
        locks[i] = (struct ls_lock){ .lock = PV_SPINLOCK_INIT,
                                     .owner = LS_NO_OWNER };
    for (unsigned i = 0; i < PV_MAX_VCPUS; i++) {
        lstats[i] = (struct pv_lock_cpu_stats){ 0 };
        vcpus[i].acquisitions = vcpus[i].violations = 0;
        vcpus[i].in_window = vcpus[i].start = vcpus[i].deadline = 0;
        for (unsigned l = 0; l < LS_MAX_LOCKS; l++)
            vcpus[i].per_lock[l] = 0;
        vcpus[i].latency = (struct pv_hist){ 0 };
    }
    if (pv_lock_setup(cfg.kind, lockplat_get(), cfg.spin_threshold,
                      lstats) != 0)
        guest_fail(FAIL_CONFIG, "the lock platform cannot run this lock kind");
    if (cfg.preempt_check && !pv_has(PV_FEATURE_STEAL_TIME))
        kprintf("lockstress: preempt_check=on needs steal time, which is "
                "absent; waiters will not see preempted holders\n");
    pv_lock_set_preempt_check(cfg.preempt_check);
}

/* The critical section: checks and the protected work. */
static void critical(struct ls_lock *l, unsigned cpu, struct ls_vcpu *me)
{
    uint64_t c;

    if (l->owner != LS_NO_OWNER)
        me->violations++;
    l->owner = cpu;
    c = l->counter; /* read early, write late: a lost update shows */
    for (uint64_t i = 0; i < cfg.cs; i++)
        l->data[i & (LS_DATA_WORDS - 1)]++;
    l->counter = c + 1;
    if (l->owner != cpu)
        me->violations++;
    l->owner = LS_NO_OWNER;
}

static void think(void)
{
    volatile uint64_t sink = 0;
    for (uint64_t i = 0; i < cfg.think; i++)
        sink++;
}

static void stress(unsigned cpu, struct ls_vcpu *me)
{
    uint64_t rng = cfg.seed ^ (env.bi->seed * LS_SEED_MIX_VM) ^
                   ((uint64_t)(cpu + 1) * LS_SEED_MIX_CPU);
    uint64_t start = rdtsc(), deadline = start + tsc_ms_to_cycles(cfg.duration_ms);

    me->start = start;
    me->deadline = deadline;
    lockinfo_task_begin(cpu);
    for (;;) {
        unsigned idx;
        uint64_t t0, t1;

        if (cfg.ops ? me->acquisitions >= cfg.ops : rdtsc() >= deadline)
            break;
        idx = cfg.locks > 1 ? (unsigned)pv_rng_below(&rng, cfg.locks) : 0;
        t0 = rdtsc();
        lockinfo_lock(&locks[idx].lock);
        t1 = rdtsc();
        critical(&locks[idx], cpu, me);
        lockinfo_unlock(&locks[idx].lock);
        pv_hist_add(&me->latency, t1 - t0);
        me->acquisitions++;
        me->in_window += cfg.ops || t1 <= deadline;
        me->per_lock[idx]++;
        think();
    }
    lockinfo_task_end(cpu);
    for (unsigned l = 0; l < cfg.locks; l++)
        __atomic_add_fetch(&locks[l].acquisitions, me->per_lock[l],
                           __ATOMIC_ACQ_REL);
}

static void print_waste(const char *what, unsigned id, const struct lockinfo_stats *li)
{
    uint64_t spin, halt, waste;

    lockinfo_fracs(li, &spin, &halt, &waste);
    kprintf("lockstress %s %u: spin_waste=%lu.%04lu (spin %lu.%04lu halt %lu.%04lu) "
            "lhp=%lu waiter_preempt=%lu\n", what, id,
            waste / LOCKINFO_PARTS, waste % LOCKINFO_PARTS, spin / LOCKINFO_PARTS,
            spin % LOCKINFO_PARTS, halt / LOCKINFO_PARTS, halt % LOCKINFO_PARTS,
            li->lhp, li->waiter_preempt);
}

/* Appends the lockinfo fields and the closing brace at buf + len. */
static int with_lockinfo(char *buf, size_t n, size_t len, const struct lockinfo_stats *li)
{
    int k;

    if (len >= n)
        return 0;
    k = lockinfo_json(buf + len, n - len, li);
    if (len + (size_t)k >= n)
        return k;
    return k + pv_snprintf(buf + len + (size_t)k, n - len - (size_t)k, "}");
}

static void report_vcpu(unsigned cpu, struct ls_vcpu *me)
{
    const struct pv_lock_cpu_stats *st = &lstats[cpu];
    const char *name = pv_lock_kind_name(cfg.kind);
    size_t n = sizeof(me->json);
    int a, b, c;

    a = pv_snprintf(me->json, n, "{\"kind\":\"lock_vcpu\",\"lock\":\"%s\","
                    "\"phase\":%u,\"acquisitions\":%lu,\"latency\":", name,
                    cfg.phase, me->acquisitions);
    b = pv_hist_json(me->json + a, n - (size_t)a, &me->latency);
    c = (size_t)(a + b) >= n ? 0 : pv_snprintf(me->json + a + b, n - (size_t)(a + b),
                    ",\"slow_path\":%lu,\"halts\":%lu,\"kicks_sent\":%lu,"
                    "\"spurious_wakeups\":%lu,\"preempted_holder\":%lu,"
                    "\"steals\":%lu,"
                    "\"preempt_check\":%s,\"violations\":%lu",
                    st->slow_path, st->halts, st->kicks_sent,
                    st->spurious_wakeups, st->preempted_holder, st->steals,
                    cfg.preempt_check ? "true" : "false", me->violations);
    c += with_lockinfo(me->json, n, (size_t)(a + b + c), lockinfo_stats(cpu));
    if ((size_t)(a + b + c) >= n)
        kprintf("lockstress vcpu %u: report would need %d bytes, dropped\n",
                cpu, a + b + c);
    else
        report_json(me->json, (size_t)(a + b + c));
    kprintf("lockstress vcpu %u: %s acq=%lu lat p50<=%lu p99<=%lu max=%lu "
            "slow=%lu halts=%lu kicks=%lu spurious=%lu violations=%lu\n",
            cpu, name, me->acquisitions,
            pv_hist_percentile(&me->latency, 50),
            pv_hist_percentile(&me->latency, 99), me->latency.max,
            st->slow_path, st->halts, st->kicks_sent, st->spurious_wakeups,
            me->violations);
    print_waste("vcpu", cpu, lockinfo_stats(cpu));
}

/* The throughput's window: from the first vCPU's start to the last one's
   deadline, counting what was acquired by each vCPU's deadline. Not up to
   the end barrier: a VM whose vCPUs were descheduled at their deadline can
   wait long for a pCPU (under Bochs another VM's vCPUs print their reports
   through the hypervisor's console, not preemptible, for 100-200 ms), and
   that wait is no part of the stress. With ops= it is the elapsed time. */
static uint64_t stress_window(uint64_t elapsed, uint64_t *acq)
{
    uint64_t first = UINT64_MAX, last = 0;

    *acq = 0;
    for (unsigned i = 0; i < env.bi->nr_vcpus; i++) {
        *acq += vcpus[i].in_window;
        first = vcpus[i].start < first ? vcpus[i].start : first;
        last = vcpus[i].deadline > last ? vcpus[i].deadline : last;
    }
    return cfg.ops || last <= first ? elapsed : last - first;
}

/* vCPU0, after everyone finished: the VM-wide line and the verdict. */
static enum guest_fail_code report_vm(uint64_t elapsed)
{
    uint64_t acq = 0, viol = 0, mismatches = 0, hz = env.bi->tsc_hz, tput;
    uint64_t win_acq, window = stress_window(elapsed, &win_acq);
    unsigned n = env.bi->nr_vcpus;
    const char *name = pv_lock_kind_name(cfg.kind);
    char json[1024];
    int len;
    struct lockinfo_stats li = { 0 };

    for (unsigned i = 0; i < n; i++) {
        acq += vcpus[i].acquisitions;
        viol += vcpus[i].violations;
        lockinfo_add(&li, lockinfo_stats(i));
    }
    for (unsigned l = 0; l < cfg.locks; l++) {
        if (locks[l].counter != locks[l].acquisitions) {
            kprintf("lockstress: lock %u counter %lu but %lu acquisitions\n",
                    l, locks[l].counter, locks[l].acquisitions);
            mismatches++;
        }
    }
    tput = window ? muldiv64(win_acq, hz, window) : 0;
    len = pv_snprintf(json, sizeof(json),
                      "{\"kind\":\"lock_vm\",\"lock\":\"%s\",\"phase\":%u,"
                      "\"locks\":%u,"
                      "\"vcpus\":%u,\"acquisitions\":%lu,"
                      "\"elapsed_cycles\":%lu,\"window_acquisitions\":%lu,"
                      "\"window_cycles\":%lu,\"tsc_hz\":%lu,"
                      "\"throughput\":%lu,\"violations\":%lu,"
                      "\"counter_mismatches\":%lu,\"slow_path_enabled\":%s",
                      name, cfg.phase, cfg.locks, n, acq, elapsed, win_acq, window, hz, tput,
                      viol, mismatches,
                      (cfg.kind == PV_LOCK_PVTICKET || cfg.kind == PV_LOCK_PVQSPIN) &&
                          lockplat_can_sleep()
                          ? "true" : "false");
    len += with_lockinfo(json, sizeof(json), (size_t)len, &li);
    report_json(json, (size_t)len);
    kprintf("lockstress vm %u: %s locks=%u vcpus=%u acq=%lu (%lu in the "
            "%lu-cycle window) = %lu/s, violations=%lu counter_mismatches=%lu\n",
            env.bi->vm_id, name, cfg.locks, n, acq, win_acq, window, tput, viol,
            mismatches);
    print_waste("vm", env.bi->vm_id, &li);
    return viol || mismatches ? FAIL_VIOLATIONS : FAIL_NONE;
}

static enum guest_fail_code run(unsigned cpu)
{
    struct ls_vcpu *me = &vcpus[cpu];
    enum guest_fail_code verdict = FAIL_NONE;
    long err = lockinfo_register(cpu);

    if (err)
        kprintf("lockstress vcpu %u: PV_HC_LOCKINFO failed (%ld): lhp and "
                "waiter_preempt stay 0\n", cpu, err);
    /* cfg.phase is written by vCPU0 only, between barriers. */
    for (unsigned p = 0; p < cfg.nphases; p++) {
        uint64_t elapsed = 0;

        if (cpu == 0) {
            cfg.phase = p;
            setup();
        }
        smp_barrier();      /* setup is visible; everyone starts together */
        if (cpu == 0)
            vm_start = rdtsc();
        stress(cpu, me);
        smp_barrier();      /* everyone is done: the VM's elapsed time */
        if (cpu == 0)
            elapsed = rdtsc() - vm_start;
        report_vcpu(cpu, me);
        smp_barrier();      /* all per-vCPU lines are out before the VM's */
        if (cpu == 0) {
            enum guest_fail_code v = report_vm(elapsed);

            if (v != FAIL_NONE)
                verdict = v;
        }
        smp_barrier();      /* the VM's line is out before the next setup */
    }
    return verdict;
}

const struct task task_lockstress = {
    .name = "lockstress",
    .configure = configure,
    .run = run,
};
