/*
 * pthreads/futex implementation of struct pv_lock_platform for the hosted
 * lock tests; see lock_harness.h.
 */
#define _GNU_SOURCE
#include "lock_harness.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lock_impl.h"
#include "rng.h"

#define STRESS_THREADS_PER_CORE 4
#define RELAX_YIELD_EVERY 64        /* pause this often before yielding */

static uint32_t kicked[PV_LOCK_MAX_CPUS];
uint64_t harness_kicks_received[PV_LOCK_MAX_CPUS];
/* The queue nodes of mcs/qspin/pvqspin, as the guest keeps them per vCPU. */
static struct pv_lock_qnode qnodes[PV_LOCK_MAX_CPUS * PV_QNODES_PER_CPU];
/* Set while a thread sleeps at a preemption point: what the steal-time
   PREEMPTED byte says of a vCPU that is off its pCPU. */
static volatile int preempted[PV_LOCK_MAX_CPUS];
static __thread unsigned my_cpu;
static __thread unsigned relax_count;
static const char *watchdog_what = "?";

void harness_set_cpu(unsigned cpu)
{
    my_cpu = cpu;
}

unsigned harness_cpu_id(void)
{
    return my_cpu;
}

static unsigned long harness_irq_save(void)
{
    return 0;       /* threads have no interrupts to mask */
}

static void harness_irq_restore(unsigned long flags)
{
    (void)flags;
}

static long futex(uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* Consume the latch if set, else sleep until a kick sets it. */
void harness_halt(void)
{
    uint32_t *k = &kicked[my_cpu];

    while (__atomic_exchange_n(k, 0, __ATOMIC_ACQ_REL) == 0)
        futex(k, FUTEX_WAIT_PRIVATE, 0);
}

void harness_kick(unsigned cpu)
{
    __atomic_fetch_add(&harness_kicks_received[cpu], 1, __ATOMIC_RELAXED);
    __atomic_store_n(&kicked[cpu], 1, __ATOMIC_RELEASE);
    futex(&kicked[cpu], FUTEX_WAKE_PRIVATE, 1);
}

/* More threads than cores: yield now and then so a spinner lets the
   preempted holder run, as PAUSE-loop exiting would. */
static void harness_relax(void)
{
    __builtin_ia32_pause();
    if (++relax_count % RELAX_YIELD_EVERY == 0)
        sched_yield();
}

static int harness_vcpu_is_preempted(unsigned cpu)
{
    return __atomic_load_n(&preempted[cpu], __ATOMIC_RELAXED);
}

const struct pv_lock_platform harness_platform = {
    .nr_cpus = PV_LOCK_MAX_CPUS,
    .cpu_id = harness_cpu_id,
    .irq_save = harness_irq_save,
    .irq_restore = harness_irq_restore,
    .halt = harness_halt,
    .kick = harness_kick,
    .relax = harness_relax,
    .vcpu_is_preempted = harness_vcpu_is_preempted,
    .qnodes = qnodes,
};

const struct pv_lock_platform *harness_stress_platform = &harness_platform;

void harness_reset(void)
{
    memset(kicked, 0, sizeof(kicked));
    memset(harness_kicks_received, 0, sizeof(harness_kicks_received));
    memset(qnodes, 0, sizeof(qnodes));
    memset((void *)preempted, 0, sizeof(preempted));
    my_cpu = 0;
}

unsigned harness_stress_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n;

    if (cores < 1)
        cores = 1;
    n = (unsigned)cores * STRESS_THREADS_PER_CORE;
    /* one CPU id is kept for the main thread */
    return n < PV_LOCK_MAX_CPUS - 1 ? n : PV_LOCK_MAX_CPUS - 1;
}

static void watchdog_fired(int sig)
{
    char msg[160];
    int len = snprintf(msg, sizeof(msg),
                       "WATCHDOG: '%s' did not finish (lost wake-up or "
                       "deadlock)\n", watchdog_what);

    (void)sig;
    if (write(STDERR_FILENO, msg, (size_t)len) < 0)
        _exit(2);
    _exit(1);
}

void harness_watchdog(unsigned seconds, const char *what)
{
    watchdog_what = what;
    signal(SIGALRM, watchdog_fired);
    alarm(seconds);
}

void harness_watchdog_off(void)
{
    alarm(0);
}

void harness_wait_flag(const volatile int *flag)
{
    while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
        sched_yield();
}

/* ---- scenarios shared by the ticket and pvticket tests ---- */

#define STRESS_RNG_SEED   0x5eedu
#define PREEMPT_CHOICES   8         /* 1 in 8: sleep, 1 in 8: yield */
#define PREEMPT_SLEEP     0
#define PREEMPT_YIELD     1
#define MAX_SLEEP_US      50
#define PVTICKET_INC      2         /* tickets advance by 2, bit 0 a flag */
#define TICKET_HALF_MASK  0xffffu
#define TICKET_SHIFT      16
#define FIFO_SETTLE_US    20000     /* let waiters reach their halt */
#define WATCHDOG_SECONDS  20

static struct pv_lock_cpu_stats stats[PV_LOCK_MAX_CPUS];
static pv_spinlock_t the_lock;
static enum pv_lock_kind cur_kind;

static unsigned ticket_inc(enum pv_lock_kind kind)
{
    return kind == PV_LOCK_PVTICKET ? PVTICKET_INC : 1;
}

/* Kinds whose low half is a head that moves by one ticket per hand-over. */
static int has_head(enum pv_lock_kind kind)
{
    return kind == PV_LOCK_TICKET || kind == PV_LOCK_PVTICKET;
}

/* FIFO set-up: has waiter i (CPU i + 1) taken its place in line yet? */
static int fifo_in_line(enum pv_lock_kind kind, uint32_t val, unsigned i)
{
    uint32_t code = pv_q_tail_code(i + 1, 0);

    switch (kind) {
    case PV_LOCK_TICKET:
    case PV_LOCK_PVTICKET:
        return harness_tickets_taken(kind, val) == i + 2;
    case PV_LOCK_MCS:
        return val == code;
    case PV_LOCK_QSPIN:
        /* the first waiter is the pending one, the rest queue */
        return i == 0 ? (val & PV_Q_PENDING_VAL) != 0
                      : (val >> PV_Q_TAIL_SHIFT) == code;
    default:
        return 0;
    }
}

unsigned harness_tickets_taken(enum pv_lock_kind kind, uint32_t val)
{
    return (val >> TICKET_SHIFT) / ticket_inc(kind);  /* drops the flag */
}

static void setup(enum pv_lock_kind kind, uint32_t spin_threshold)
{
    harness_reset();
    memset(stats, 0, sizeof(stats));
    the_lock.val = 0;
    cur_kind = kind;
    if (pv_lock_setup(kind, harness_stress_platform, spin_threshold, stats) != 0) {
        fprintf(stderr, "harness: pv_lock_setup refused kind %d\n", kind);
        _exit(1);
    }
}

static void collect(struct harness_totals *t)
{
    memset(t, 0, sizeof(*t));
    for (unsigned c = 0; c < PV_LOCK_MAX_CPUS; c++) {
        t->sum.slow_path += stats[c].slow_path;
        t->sum.halts += stats[c].halts;
        t->sum.kicks_sent += stats[c].kicks_sent;
        t->sum.spurious_wakeups += stats[c].spurious_wakeups;
        t->sum.kick_misses += stats[c].kick_misses;
        t->sum.preempted_holder += stats[c].preempted_holder;
        t->sum.steals += stats[c].steals;
        t->kicks_received += harness_kicks_received[c];
    }
}

/* Shared state of one stress run; plain (non-atomic) on purpose: only the
   lock protects it, so a broken lock shows up as lost updates. */
static struct {
    unsigned iters;
    volatile uint64_t counter;
    volatile unsigned owner;        /* cpu + 1 of the holder, 0 if free */
    volatile unsigned last_head;
    volatile int first;
    uint64_t owner_violations;
    uint64_t head_violations;
    int volume;                     /* harness_volume: rare preemption */
} st;

#define VOLUME_YIELD_ONE_IN 1024

static void preempt_point(uint64_t *rng)
{
    unsigned cpu = harness_cpu_id();

    if (st.volume) {
        if (pv_rng_below(rng, VOLUME_YIELD_ONE_IN) == 0)
            sched_yield();
        return;
    }
    switch (pv_rng_below(rng, PREEMPT_CHOICES)) {
    case PREEMPT_SLEEP:
        preempted[cpu] = 1;
        usleep((useconds_t)pv_rng_below(rng, MAX_SLEEP_US + 1));
        preempted[cpu] = 0;
        break;
    case PREEMPT_YIELD:
        sched_yield();
        break;
    default:
        break;
    }
}

static void *stress_thread(void *arg)
{
    unsigned cpu = (unsigned)(uintptr_t)arg;
    uint64_t rng = STRESS_RNG_SEED + cpu;

    harness_set_cpu(cpu);
    for (unsigned i = 0; i < st.iters; i++) {
        pv_spin_lock(&the_lock);
        if (st.owner != 0)
            st.owner_violations++;
        st.owner = cpu + 1;
        if (has_head(cur_kind)) {
            unsigned head = the_lock.val & TICKET_HALF_MASK;
            unsigned want = (st.last_head + ticket_inc(cur_kind)) &
                            TICKET_HALF_MASK;

            if (!st.first && head != want)
                st.head_violations++;
            st.first = 0;
            st.last_head = head;
        }
        uint64_t c = st.counter;
        preempt_point(&rng);
        st.counter = c + 1;
        if (st.owner != cpu + 1)
            st.owner_violations++;
        st.owner = 0;
        pv_spin_unlock(&the_lock);
        /* preemption of a waiter: between unlock and the next lock */
        preempt_point(&rng);
    }
    return NULL;
}

static void run_stress(enum pv_lock_kind kind, uint32_t spin_threshold,
                       unsigned nthreads, unsigned iters, int volume,
                       unsigned watchdog_s, struct stress_result *res)
{
    pthread_t th[PV_LOCK_MAX_CPUS];

    setup(kind, spin_threshold);
    memset(&st, 0, sizeof(st));
    st.iters = iters;
    st.first = 1;
    st.volume = volume;
    harness_watchdog(watchdog_s, volume ? "lock volume" : "lock stress");
    for (unsigned i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, stress_thread, (void *)(uintptr_t)(i + 1));
    for (unsigned i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    harness_watchdog_off();
    res->expected = (uint64_t)nthreads * iters;
    res->counted = st.counter;
    res->owner_violations = st.owner_violations;
    res->head_violations = st.head_violations;
    res->locked_after = pv_spin_is_locked(&the_lock);
    res->final_val = the_lock.val;
    collect(&res->totals);
}

void harness_stress(enum pv_lock_kind kind, uint32_t spin_threshold,
                    unsigned nthreads, unsigned iters,
                    struct stress_result *res)
{
    run_stress(kind, spin_threshold, nthreads, iters, 0, WATCHDOG_SECONDS, res);
}

#define VOLUME_WATCHDOG_MIN_S   120
/* A floor on the rate on a loaded 2-core host (ticket with more threads
   than cores: ~50k/s), so a slow run is not taken for a hang. */
#define VOLUME_MIN_RATE         10000u

void harness_volume(enum pv_lock_kind kind, uint32_t spin_threshold,
                    unsigned nthreads, unsigned iters,
                    struct stress_result *res)
{
    uint64_t s = (uint64_t)nthreads * iters / VOLUME_MIN_RATE;

    run_stress(kind, spin_threshold, nthreads, iters, 1,
               s > VOLUME_WATCHDOG_MIN_S ? (unsigned)s : VOLUME_WATCHDOG_MIN_S,
               res);
}

static struct {
    volatile unsigned next_slot;
    unsigned order[PV_LOCK_MAX_CPUS];
    uint64_t rng;
} fifo;

static void *fifo_thread(void *arg)
{
    unsigned idx = (unsigned)(uintptr_t)arg;

    harness_set_cpu(idx + 1);
    pv_spin_lock(&the_lock);
    fifo.order[fifo.next_slot++] = idx;
    /* hold it a little so the hand-over chain runs while others sleep */
    usleep((useconds_t)pv_rng_below(&fifo.rng, MAX_SLEEP_US + 1));
    pv_spin_unlock(&the_lock);
    return NULL;
}

void harness_fifo(enum pv_lock_kind kind, uint32_t spin_threshold,
                  unsigned nthreads, struct fifo_result *res)
{
    pthread_t th[PV_LOCK_MAX_CPUS];

    setup(kind, spin_threshold);
    memset(&fifo, 0, sizeof(fifo));
    fifo.rng = STRESS_RNG_SEED;
    harness_watchdog(WATCHDOG_SECONDS, "lock fifo");
    pv_spin_lock(&the_lock);
    for (unsigned i = 0; i < nthreads; i++) {
        pthread_create(&th[i], NULL, fifo_thread, (void *)(uintptr_t)i);
        /* thread i has its place in line before thread i + 1 starts */
        while (!fifo_in_line(kind, the_lock.val, i))
            sched_yield();
    }
    usleep(FIFO_SETTLE_US);
    pv_spin_unlock(&the_lock);
    for (unsigned i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    harness_watchdog_off();
    res->nthreads = nthreads;
    res->entered = fifo.next_slot;
    res->out_of_order = 0;
    res->final_val = the_lock.val;
    for (unsigned i = 0; i < fifo.next_slot; i++)
        if (fifo.order[i] != i)
            res->out_of_order++;
    collect(&res->totals);
}
