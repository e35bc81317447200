/*
 * The per-pCPU loop: reschedule, deliver pending events, enter, handle the
 * exit, repeat until the slice ends or the vCPU gives the pCPU up. The
 * scheduler decides who runs; this file does the running, so the scheduler
 * never sees a backend and the backends never see the scheduler.
 */
#include "run.h"

#include "exit.h"
#include "ple.h"
#include "irq.h"
#include "vcpu.h"
#include "vm.h"
#include "xstate.h"
#include "watchdog.h"
#include "barrier.h"
#include "../core/lapic.h"
#include "../core/idt.h"
#include "../core/panic.h"
#include "../core/percpu.h"
#include "../core/time.h"
#include "../core/x86.h"
#include "../sched/sched.h"
#include "../trace/trace.h"

#define IDLE_TICK_US 10000
#define NS_PER_US 1000

_Static_assert(SCHED_MAX_CPUS == MAX_PCPUS, "one scheduler slot per pCPU");

static const struct run_hooks *hooks;
static volatile int run_over;

void run_set_hooks(const struct run_hooks *h) { hooks = h; }

int run_irq_wakeable(struct sched_entity *e)
{
    struct vcpu *v = vcpu_of(e);
    return (v->regs.rflags & RFLAGS_IF) && vcpu_irq_pending(v);
}

/* Called by backends with interrupts held off just before entry. */
int virt_entry_must_abort(struct vcpu *v)
{
    struct percpu *cpu = this_cpu();
    return v->se.notify || cpu->need_resched || v->vm->state != VM_RUNNING || run_over;
}

/* A backend with its own slice timer (the VMX-preemption timer) ends the
   slice itself; otherwise the LAPIC timer interrupt does. */
static void start_slice(struct percpu *cpu, struct vcpu *v)
{
    uint64_t deadline = sched_tick_deadline(&sched_cpus[cpu->index]), now = rdtsc();
    if (virt_caps.slice_timer) {
        virt->slice_start(v, deadline);
    } else {
        uint64_t us = deadline > now ? cycles_to_ns(deadline - now) / NS_PER_US : 0;
        lapic_timer_oneshot_us(us ? us : 1);
    }
}

/* lock_grace=N: a vCPU whose lockinfo page says it holds a lock when its
   slice ends runs N us more, once per stay on the pCPU, so it can release
   the lock before it is preempted. Bounded: a guest that always claims a
   lock gains at most N us per slice. */
static int lock_grace(struct percpu *cpu, struct vcpu *v, int *graced)
{
    if (!virt_settings.lock_grace_us || *graced || !virt_pv->vcpu_holds_lock ||
        !virt_pv->vcpu_holds_lock(v))
        return 0;
    *graced = 1;
    v->stats.lock_graces++;
    uint64_t deadline = rdtsc() + ns_to_cycles(virt_settings.lock_grace_us * NS_PER_US);
    if (virt_caps.slice_timer)
        virt->slice_start(v, deadline);
    else
        lapic_timer_oneshot_us(virt_settings.lock_grace_us);
    (void)cpu;
    return 1;
}

/* v comes onto this pCPU: the pv state it must see first. */
static void vcpu_load(struct percpu *cpu, struct vcpu *v)
{
    /* One pCPU at a time: a vCPU entered while another pCPU still holds
       its state would run on stale registers, so the scheduler handing it
       out twice is caught here rather than as a guest crash later. */
    uint32_t prev = __atomic_exchange_n(&v->owner, cpu->index + 1, __ATOMIC_ACQ_REL);
    if (prev)
        panic("vCPU %u.%u picked on pCPU %u while pCPU %u still runs it (state %s)",
              v->vm->id, v->id, cpu->index, prev - 1, vcpu_state_names[v->se.state]);
    cpu->current = v;
    cpu->need_resched = 0;
    vm_barrier_switch(cpu, v->vm);  /* IBPB etc. if another VM ran here */
    trace(TR_IN, v->vm->id, v->id, 0);
    xstate_load(v);
    virt_pv->vcpu_load(v);
    if (virt_settings.ple_hw)
        ple_window_shrink(v);   /* KVM's sched-in shrink */
    if (virt->vcpu_load)
        virt->vcpu_load(v);
}

/* v leaves this pCPU: a runnable vCPU is marked preempted before any other
   pCPU can pick it. */
static void vcpu_put(struct percpu *cpu, struct vcpu *v, enum exit_action act, uint64_t start)
{
    if (virt->vcpu_put)
        virt->vcpu_put(v);
    xstate_save(v);      /* before any other pCPU can pick v */
    __atomic_store_n(&v->owner, 0, __ATOMIC_RELEASE);
    lapic_timer_stop();
    cpu->current = 0;
    cpu->busy_cycles += rdtsc() - start;
    trace(TR_OUT, v->vm->id, v->id, v->vm->state != VM_RUNNING ? TR_OUT_STOP
                                    : act == ACT_BLOCK ? TR_OUT_BLOCK
                                    : act == ACT_CONTINUE ? TR_OUT_PREEMPT : TR_OUT_YIELD);
    if (act != ACT_BLOCK && v->vm->state == VM_RUNNING)
        virt_pv->vcpu_preempted(v);
    sched_put(&v->se, act == ACT_BLOCK ? SCHED_PUT_BLOCK
                      : act == ACT_CONTINUE ? SCHED_PUT_PREEMPT : SCHED_PUT_YIELD);
    if (act == ACT_BLOCK)
        watchdog_check_vm(v->vm);   /* the last vCPU that could run halted? */
}

static void run_vcpu(struct percpu *cpu, struct vcpu *v)
{
    struct sched_cpu *scpu = &sched_cpus[cpu->index];
    struct vexit e;
    enum exit_action act = ACT_CONTINUE;
    uint64_t start = rdtsc();

    int graced = 0;

    vcpu_load(cpu, v);
    start_slice(cpu, v);
    for (;;) {
        __atomic_store_n(&v->se.notify, 0, __ATOMIC_SEQ_CST);
        if (v->vm->state != VM_RUNNING || run_over) {
            act = ACT_STOP;
            break;
        }
        virt_deliver_events(v);
        /* run_seq odd from here to after the exit: a tlb=hv caller that
           sees it odd pokes and waits; one that sees it even knows the
           flag is read below before the entry (hv/pv/tlb_hv.c). */
        __atomic_add_fetch(&v->run_seq, 1, __ATOMIC_SEQ_CST);
        virt_pv->vcpu_entry(v);
        virt->vcpu_run(v, &e);
        __atomic_add_fetch(&v->run_seq, 1, __ATOMIC_SEQ_CST);
        act = virt_handle_exit(v, &e);
        if (act != ACT_CONTINUE)
            break;
        if (cpu->need_resched) {
            if (cpu->index == 0)
                hooks->bsp_tick();
            int leave = sched_must_leave(scpu, &v->se);
            cpu->need_resched = 0;
            if (leave && lock_grace(cpu, v, &graced))
                continue;       /* a lock holder: one short extension */
            if (leave)
                break;          /* slice over: preempted */
            start_slice(cpu, v);
        }
    }
    vcpu_put(cpu, v, act, start);
}

static void idle(struct percpu *cpu)
{
    struct sched_cpu *scpu = &sched_cpus[cpu->index];

    irq_disable();
    if (run_over || !sched_idle_enter(scpu)) {
        irq_enable();
        return;
    }
    uint64_t t0 = rdtsc();
    lapic_timer_oneshot_us(IDLE_TICK_US);  /* the BSP watches the timeout */
    safe_halt();
    sched_idle_exit(scpu);
    cpu->idle_cycles += rdtsc() - t0;
    if (cpu->index == 0)
        hooks->bsp_tick();
}

void run_loop(void)
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
                hooks->finish();
            lapic_timer_stop();
            __atomic_store_n(&cpu->online, 2, __ATOMIC_RELEASE);   /* parked */
            for (;;)
                safe_halt();
        }
        struct sched_entity *e = sched_pick(&sched_cpus[cpu->index]);
        if (e)
            run_vcpu(cpu, vcpu_of(e));
        else
            idle(cpu);
    }
}
