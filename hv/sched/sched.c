/*
 * The per-pCPU scheduler loop and the vCPU state machine
 * (NEW -> RUNNABLE <-> RUNNING -> BLOCKED -> RUNNABLE ... -> DONE).
 * One lock protects every vCPU's state and the run queue; the wake and kick
 * paths set their flag first and take the lock second, and the blocking path
 * re-checks the flags under the lock, so no wake-up is ever lost.
 */
#include "sched.h"

#include "pvstring.h"
#include "../core/console.h"
#include "../cfg.h"
#include "../core/idt.h"
#include "../core/lapic.h"
#include "../core/percpu.h"
#include "../core/spinlock.h"
#include "../core/time.h"
#include "../core/x86.h"
#include "../report.h"
#include "../pv/steal.h"
#include "../virt/exit.h"
#include "../virt/irq.h"
#include "../virt/vcpu.h"
#include "../virt/vm.h"

#define IDLE_TICK_US 10000

static spinlock_t sched_lock = SPINLOCK_INIT;
static const struct sched_policy *policy;
static uint64_t slice_us;
static int boost;
uint64_t sched_slice_cycles;
struct sched_stats sched_stats;
static uint64_t deadline_tsc;    /* run timeout, 0 = none */
static uint64_t timeout_ms;
static volatile int run_over;

int sched_init(const struct cfg *cfg)
{
    if (!strcmp(cfg->sched, "rr"))
        policy = &sched_rr;
    else if (!strcmp(cfg->sched, "gang"))
        policy = &sched_gang;
    else
        return -1;
    slice_us = cfg->slice_ms * 1000;
    sched_slice_cycles = ns_to_cycles(slice_us * 1000);
    boost = cfg->boost;
    timeout_ms = cfg->timeout_ms;
    if (cfg->timeout_ms)
        deadline_tsc = rdtsc() + ns_to_cycles(cfg->timeout_ms * 1000000ull);
    return 0;
}

uint64_t sched_slice_us(void) { return slice_us; }
const char *sched_policy_name(void) { return policy ? policy->name : "none"; }

/* Co-run skew: time some vCPU of the VM ran while a sibling was runnable
   but not running (what gang scheduling exists to avoid). */
static void account_vm(struct vm *vm, uint64_t now)
{
    if (vm->nr_running && vm->nr_runnable)
        vm->coskew_cycles += now - vm->skew_since;
    vm->skew_since = now;
}

/* Called with the lock held, after any run-queue change for v. */
static void set_state(struct vcpu *v, enum vcpu_state s)
{
    uint64_t now = rdtsc();
    enum vcpu_state from = v->state;
    struct vm *vm = v->vm;

    v->stats.state_cycles[from] += now - v->state_since;
    v->state_since = now;
    account_vm(vm, now);
    vm->nr_running -= from == VCPU_RUNNING;
    vm->nr_runnable -= from == VCPU_RUNNABLE;
    vm->nr_running += s == VCPU_RUNNING;
    vm->nr_runnable += s == VCPU_RUNNABLE;
    if (s == VCPU_RUNNING)
        for (unsigned i = 0; i < nr_vms; i++)
            if (&vms[i] != vm && vms[i].nr_running)
                sched_stats.cross_vm_overlaps++;
    v->state = s;
    if (policy->state_changed)
        policy->state_changed(v, from, s);
}

static void wake_idle_pcpu(void)
{
    for (unsigned i = 0; i < nr_pcpus; i++) {
        if (percpus[i].idle && &percpus[i] != this_cpu()) {
            lapic_send_ipi(percpus[i].apic_id, VEC_WAKE);
            return;
        }
    }
}

void sched_wake_idle_all(void)
{
    for (unsigned i = 0; i < nr_pcpus; i++)
        if (percpus[i].idle && &percpus[i] != this_cpu())
            lapic_send_ipi(percpus[i].apic_id, VEC_WAKE);
}

void sched_force_resched(struct percpu *cpu)
{
    cpu->need_resched = 1;
    if (cpu != this_cpu())
        lapic_send_ipi(cpu->apic_id, VEC_WAKE);
}

static int any_idle_pcpu(void)
{
    for (unsigned i = 0; i < nr_pcpus; i++)
        if (percpus[i].idle)
            return 1;
    return 0;
}

/* Wake-up preemption (boost=on), like CFS gives a task that slept: with no
   idle pCPU, the pCPU whose vCPU has run longest gives way at once instead
   of at its slice end. Policies with their own rules (gang) opt out. */
static void preempt_for_wakeup(void)
{
    struct percpu *victim = 0;
    uint64_t oldest = UINT64_MAX;

    if (policy->must_leave || any_idle_pcpu())
        return;
    for (unsigned i = 0; i < nr_pcpus; i++) {
        struct vcpu *cur = percpus[i].current;
        if (cur && cur->state == VCPU_RUNNING && cur->state_since < oldest) {
            oldest = cur->state_since;
            victim = &percpus[i];
        }
    }
    if (victim)
        sched_force_resched(victim);
}

static void make_runnable(struct vcpu *v, int front)
{
    policy->enqueue(v, front);
    set_state(v, VCPU_RUNNABLE);
    wake_idle_pcpu();
}

/* Lock held: move a queued vCPU to the front of its queue. */
static void to_front(struct vcpu *v)
{
    policy->remove(v);
    policy->enqueue(v, 1);
}

void sched_start_vcpu(struct vcpu *v)
{
    uint64_t f = spin_lock_irqsave(&sched_lock);
    v->state_since = rdtsc();
    if (v->state == VCPU_NEW && v->vm->state == VM_RUNNING)
        make_runnable(v, 0);
    spin_unlock_irqrestore(&sched_lock, f);
}

void sched_notify(struct vcpu *v, int kick)
{
    uint64_t f = spin_lock_irqsave(&sched_lock);
    __atomic_store_n(&v->notify, 1, __ATOMIC_SEQ_CST);
    if (v->state == VCPU_BLOCKED) {
        int irq_ok = (v->regs.rflags & RFLAGS_IF) && vcpu_irq_pending(v);
        if (kick || irq_ok) {
            /* This wake-up completes the HLT; the latch is spent on it. */
            __atomic_store_n(&v->kicked, 0, __ATOMIC_SEQ_CST);
            if (kick)
                v->kick_tsc = rdtsc();
            make_runnable(v, boost);
            if (boost)
                preempt_for_wakeup();
        }
    } else if (v->state == VCPU_RUNNABLE && boost) {
        to_front(v);
    } else if (v->state == VCPU_RUNNING && v->pcpu >= 0 &&
               &percpus[v->pcpu] != this_cpu()) {
        lapic_send_ipi(percpus[v->pcpu].apic_id, VEC_WAKE);
    }
    spin_unlock_irqrestore(&sched_lock, f);
}

void sched_vm_finished(struct vm *vm)
{
    uint64_t f = spin_lock_irqsave(&sched_lock);
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        if (v->state == VCPU_RUNNABLE)
            policy->remove(v);
        if (v->state == VCPU_RUNNING) {
            v->notify = 1;
            if (v->pcpu >= 0 && &percpus[v->pcpu] != this_cpu())
                lapic_send_ipi(percpus[v->pcpu].apic_id, VEC_WAKE);
        } else if (v->state != VCPU_DONE) {
            set_state(v, VCPU_DONE);
        }
    }
    spin_unlock_irqrestore(&sched_lock, f);
}

int virt_entry_must_abort(struct vcpu *v)
{
    struct percpu *cpu = this_cpu();
    return v->notify || cpu->need_resched || v->vm->state != VM_RUNNING || run_over;
}

enum exit_action sched_yield_to(struct vcpu *v, struct vcpu *target)
{
    enum exit_action act = ACT_CONTINUE;
    uint64_t f = spin_lock_irqsave(&sched_lock);
    if (target != v && target->state == VCPU_RUNNABLE) {
        to_front(target);
        v->stats.directed_yields++;
        act = ACT_YIELD;
    } else {
        v->stats.yields_no_candidate++;
    }
    spin_unlock_irqrestore(&sched_lock, f);
    return act;
}

enum exit_action sched_pause_loop(struct vcpu *v)
{
    struct vm *vm = v->vm;
    enum exit_action act = ACT_CONTINUE;
    uint64_t f = spin_lock_irqsave(&sched_lock);
    /* Round robin from the last vCPU boosted, so siblings take turns. */
    for (unsigned i = 1; i <= vm->nr_vcpus; i++) {
        unsigned idx = (vm->last_boosted + i) % vm->nr_vcpus;
        struct vcpu *c = &vm->vcpus[idx];
        if (c != v && c->state == VCPU_RUNNABLE) {
            to_front(c);
            vm->last_boosted = idx;
            act = ACT_YIELD;
            break;
        }
    }
    if (act == ACT_YIELD)
        v->stats.directed_yields++;
    else
        v->stats.yields_no_candidate++;
    spin_unlock_irqrestore(&sched_lock, f);
    return act;
}

static struct vcpu *pick(struct percpu *cpu)
{
    uint64_t f = spin_lock_irqsave(&sched_lock);
    struct vcpu *v = policy->pick(cpu);
    if (v) {
        uint64_t now = rdtsc();
        if (v->kick_tsc) {
            pv_hist_add(&v->stats.kick_to_run, now - v->kick_tsc);
            v->kick_tsc = 0;
        }
        set_state(v, VCPU_RUNNING);
        v->pcpu = (int)cpu->index;
        v->stats.switches++;
        if (v->last_pcpu >= 0 && v->last_pcpu != (int)cpu->index)
            v->stats.migrations++;
        v->last_pcpu = (int)cpu->index;
    }
    spin_unlock_irqrestore(&sched_lock, f);
    return v;
}

static void put(struct vcpu *v, enum exit_action act)
{
    uint64_t f = spin_lock_irqsave(&sched_lock);
    v->pcpu = -1;
    if (v->vm->state != VM_RUNNING) {
        set_state(v, VCPU_DONE);
    } else if (act == ACT_BLOCK) {
        int irq_ok = (v->regs.rflags & RFLAGS_IF) && vcpu_irq_pending(v);
#ifdef PVHV_MUTANT_no_kicked_latch      /* planted bug: make test-mutants */
        __atomic_store_n(&v->kicked, 0, __ATOMIC_RELEASE);
#endif
        if (__atomic_exchange_n(&v->kicked, 0, __ATOMIC_ACQ_REL) || irq_ok)
            make_runnable(v, 0);
        else
            set_state(v, VCPU_BLOCKED);
    } else {
        if (act == ACT_CONTINUE)
            v->stats.preemptions++;
        steal_on_preempt(v);
        make_runnable(v, 0);
    }
    spin_unlock_irqrestore(&sched_lock, f);
}

static int must_leave(struct percpu *cpu, struct vcpu *v)
{
    uint64_t f = spin_lock_irqsave(&sched_lock);
    int r = policy->must_leave ? policy->must_leave(cpu, v) : policy->has_runnable(cpu);
    spin_unlock_irqrestore(&sched_lock, f);
    return r;
}

static void check_timeout(void)
{
    if (!deadline_tsc || rdtsc() < deadline_tsc)
        return;
    deadline_tsc = 0;
    for (unsigned i = 0; i < nr_vms; i++) {
        if (vms[i].state != VM_RUNNING)
            continue;
        /* Say where every vCPU was: a hang is a bug to be found. */
        hv_printf("pvhv: vm%u timed out; its vCPUs:\n", vms[i].id);
        for (unsigned c = 0; c < vms[i].nr_vcpus; c++)
            vcpu_dump(&vms[i].vcpus[c], exit_dump_line);
        vm_finish(&vms[i], VM_KILLED, 0, "timeout: still running after timeout=%lu ms",
                  timeout_ms);
    }
}

/* A backend with its own slice timer (the VMX-preemption timer) sets
   need_resched itself; otherwise the LAPIC timer interrupt does. */
static void start_slice(struct vcpu *v)
{
    if (!virt->slice_start || !virt->slice_start(v, rdtsc() + sched_slice_cycles))
        lapic_timer_oneshot_us(slice_us);
}

static void run_vcpu(struct percpu *cpu, struct vcpu *v)
{
    struct vexit e;
    enum exit_action act = ACT_CONTINUE;
    uint64_t start = rdtsc();

    cpu->current = v;
    cpu->need_resched = 0;
    steal_on_enter(v);
    start_slice(v);
    for (;;) {
        __atomic_store_n(&v->notify, 0, __ATOMIC_SEQ_CST);
        if (v->vm->state != VM_RUNNING || run_over) {
            act = ACT_STOP;
            break;
        }
        virt_deliver_events(v);
        virt->vcpu_run(v, &e);
        act = virt_handle_exit(v, &e);
        if (act != ACT_CONTINUE)
            break;
        if (cpu->need_resched) {
            if (cpu->index == 0)
                check_timeout();
            if (must_leave(cpu, v))
                break;          /* slice over: preempted */
            cpu->need_resched = 0;
            start_slice(v);
        }
    }
    lapic_timer_stop();
    cpu->current = 0;
    cpu->busy_cycles += rdtsc() - start;
    put(v, act);
}

static void idle(struct percpu *cpu)
{
    irq_disable();
    uint64_t f = spin_lock_irqsave(&sched_lock);
    int work = policy->has_runnable(cpu) || run_over;
    if (!work)
        cpu->idle = 1;
    spin_unlock_irqrestore(&sched_lock, f);
    if (work) {
        irq_enable();
        return;
    }
    uint64_t t0 = rdtsc();
    lapic_timer_oneshot_us(IDLE_TICK_US);  /* the BSP watches the timeout */
    safe_halt();
    cpu->idle = 0;
    cpu->idle_cycles += rdtsc() - t0;
    if (cpu->index == 0)
        check_timeout();
}

void sched_loop(void)
{
    struct percpu *cpu = this_cpu();

    irq_enable();
    for (;;) {
        if (vm_all_finished()) {
            if (!run_over) {
                run_over = 1;
                lapic_broadcast_others(VEC_WAKE);
            }
            if (cpu->index == 0)
                report_and_finish();
            lapic_timer_stop();
            __atomic_store_n(&cpu->online, 2, __ATOMIC_RELEASE);   /* parked */
            for (;;)
                safe_halt();
        }
        struct vcpu *v = pick(cpu);
        if (v)
            run_vcpu(cpu, v);
        else
            idle(cpu);
    }
}
