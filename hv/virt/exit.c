/*
 * The exit table and the handlers too small for a file of their own (HLT,
 * PAUSE, interrupts, INVD, triple fault, nested page faults, entry failures).
 */
#include "exit.h"
#include "ple.h"

#include "fmt.h"
#include "irq.h"
#include "vcpu.h"
#include "vm.h"
#include "xstate.h"
#include "../core/console.h"
#include "../core/percpu.h"
#include "../core/time.h"
#include "../core/x86.h"

#define EXC_UD 6
#define PLE_SW_WINDOW_US 1000

const struct virt_pv_ops *virt_pv;

void exit_dump_line(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    pv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    hv_printf("pvhv:   %s", buf);
}

enum exit_action kill_vm(struct vcpu *v, const char *why)
{
    hv_printf("pvhv: killing vm%u: %s; vCPU state:\n", v->vm->id, why);
    vcpu_dump(v, exit_dump_line);
    vm_finish(v->vm, VM_KILLED, 0, "%s", why);
    return ACT_STOP;
}

static enum exit_action handle_nothing(struct vcpu *v, struct vexit *e)
{
    (void)v;
    (void)e;
    return ACT_CONTINUE;
}

static enum exit_action handle_hlt(struct vcpu *v, struct vexit *e)
{
    int trapped = vcpu_skip_insn(v, e);
    /* A kick that landed before the HLT makes it return at once. */
#ifdef PVHV_MUTANT_no_kicked_latch      /* planted bug: make test-mutants */
    __atomic_store_n(&v->se.kicked, 0, __ATOMIC_RELEASE);
#endif
    if (__atomic_exchange_n(&v->se.kicked, 0, __ATOMIC_ACQ_REL))
        return ACT_CONTINUE;
    if (trapped)   /* its single-step #DB is an event: the HLT ends (as in KVM) */
        return ACT_CONTINUE;
    if ((v->regs.rflags & RFLAGS_IF) && vcpu_irq_pending(v))
        return ACT_CONTINUE;
    return ACT_BLOCK;
}

/*
 * A PAUSE exit. With a hardware filter (SVM pause filter, VMX PLE) the exit
 * itself means "pause loop". Without one (QEMU TCG's SVM) every PAUSE exits
 * and a loop is ple_exits PAUSE exits within PLE_SW_WINDOW_US of TSC time.
 */
static enum exit_action handle_pause(struct vcpu *v, struct vexit *e)
{
    vcpu_skip_insn(v, e);
    v->stats.pause_exits++;
    /* The guest's PAUSE, run by the host: a hyperthread sibling gets the
       core as it would have, and single-threaded QEMU hands its thread to
       the next pCPU; without it a pCPU whose guest PAUSE-exits without
       end kept the thread until the next timer deadline, and another pCPU
       that arms its slice timer before each entry never entered
       (README Known defects). */
    cpu_relax();
    if (!virt_settings.ple)
        return ACT_CONTINUE;
    if (!virt_settings.ple_hw) {
        uint64_t now = rdtsc();
        if (now - v->pause_window_start > ns_to_cycles(PLE_SW_WINDOW_US * 1000)) {
            v->pause_window_start = now;
            v->pause_count = 0;
        }
        if (++v->pause_count < virt_settings.ple_exits)
            return ACT_CONTINUE;
        v->pause_count = 0;
        v->pause_window_start = now;
    }
    v->stats.ple_exits++;
    if (virt_settings.ple_hw)
        ple_window_grow(v);
    return sched_yield_to_sibling(&v->se) ? ACT_YIELD : ACT_CONTINUE;
}

/* The VMX-preemption timer is the slice timer: what VEC_TIMER does. */
static enum exit_action handle_preempt_timer(struct vcpu *v, struct vexit *e)
{
    (void)v;
    (void)e;
    this_cpu()->need_resched = 1;
    return ACT_CONTINUE;
}

static enum exit_action handle_shutdown(struct vcpu *v, struct vexit *e)
{
    char why[96];
    (void)e;
    pv_snprintf(why, sizeof(why), "triple fault on vcpu %u at RIP 0x%lx", v->id,
                v->regs.rip);
    return kill_vm(v, why);
}

static enum exit_action handle_npf(struct vcpu *v, struct vexit *e)
{
    char why[120];
    pv_snprintf(why, sizeof(why),
                "vcpu %u accessed GPA 0x%lx outside its %luM of memory (RIP 0x%lx)",
                v->id, e->gpa, v->vm->mem_bytes >> 20, v->regs.rip);
    return kill_vm(v, why);
}

static enum exit_action handle_invalid_insn(struct vcpu *v, struct vexit *e)
{
    (void)e;
    virt_inject_exception(v, EXC_UD, 0, 0);
    return ACT_CONTINUE;
}

/* INVD drops every dirty cache line of the pCPU, the host's and other
   VMs' too: it always exits, and like KVM pvhv runs it as a no-op (guest
   memory is write-back and coherent, so nothing is lost by keeping it). */
static enum exit_action handle_invd(struct vcpu *v, struct vexit *e)
{
    vcpu_skip_insn(v, e);
    return ACT_CONTINUE;
}

/* #DB and #AC (X86_EXC_REFLECTED) exit instead of being delivered, so a
   guest whose delivery of one raises the same one again loops through
   the hypervisor - preemptible, killable - instead of inside the CPU. Each
   is handed to the guest as it would have arrived. */
static enum exit_action handle_exception(struct vcpu *v, struct vexit *e)
{
    if (e->exc_skip)   /* ICEBP: its own #DB, no single-step trap after it */
        v->regs.rip += e->insn_len;
    virt_inject_exception(v, e->exc_vector, e->exc_has_error, e->exc_error);
    return ACT_CONTINUE;
}

/* WBINVD writes back and empties every cache of the pCPU, the lines of
   the host and of other VMs too, for as long as that takes (issue 13
   item 9). A guest with no device doing DMA has nothing it could need it
   for, so it is skipped, as KVM does without non-coherent DMA. */
static enum exit_action handle_wbinvd(struct vcpu *v, struct vexit *e)
{
    vcpu_skip_insn(v, e);
    return ACT_CONTINUE;
}

/* A first debug-register access: the vCPU takes its DR0-3 and the
   instruction runs again, now without an exit (hv/virt/xstate.c). */
static enum exit_action handle_dr_access(struct vcpu *v, struct vexit *e)
{
    (void)e;
    xstate_dr_activate(v);
    return ACT_CONTINUE;
}

static enum exit_action handle_entry_fail(struct vcpu *v, struct vexit *e)
{
    char why[160];
    pv_snprintf(why, sizeof(why), "VM entry failed on vcpu %u: %s", v->id,
                e->detail[0] ? e->detail : "invalid guest state");
    return kill_vm(v, why);
}

static enum exit_action handle_hypercall(struct vcpu *v, struct vexit *e)
{
    return virt_pv->hypercall(v, e);
}

static const exit_handler_fn handlers[EXIT_COUNT] = {
    [EXIT_NONE] = handle_nothing,
    [EXIT_HYPERCALL] = handle_hypercall,
    [EXIT_HLT] = handle_hlt,
    [EXIT_PAUSE] = handle_pause,
    [EXIT_INTR] = handle_nothing,          /* the host took it after STGI */
    [EXIT_IRQ_WINDOW] = handle_nothing,    /* delivery happens before entry */
    [EXIT_IO] = handle_io,
    [EXIT_CPUID] = handle_cpuid,
    [EXIT_MSR_READ] = handle_msr_read,
    [EXIT_MSR_WRITE] = handle_msr_write,
    [EXIT_SHUTDOWN] = handle_shutdown,
    [EXIT_NPF] = handle_npf,
    [EXIT_INVALID_INSN] = handle_invalid_insn,
    [EXIT_ENTRY_FAIL] = handle_entry_fail,
    [EXIT_PREEMPT_TIMER] = handle_preempt_timer,
    [EXIT_CR_ACCESS] = handle_nothing,     /* the backend emulated the write */
    [EXIT_EXCEPTION] = handle_exception,
    [EXIT_INVD] = handle_invd,
    [EXIT_WBINVD] = handle_wbinvd,
    [EXIT_DR_ACCESS] = handle_dr_access,
};

enum exit_action virt_handle_exit(struct vcpu *v, struct vexit *e)
{
    if (e->reason < EXIT_COUNT)
        v->stats.exits[e->reason]++;
    v->last_exit = *e;
    if (e->reason >= EXIT_COUNT || !handlers[e->reason]) {
        char why[160];
        pv_snprintf(why, sizeof(why), "unhandled exit on vcpu %u (%s code 0x%lx%s%s)",
                    v->id, virt->name, e->raw, e->detail[0] ? ": " : "", e->detail);
        return kill_vm(v, why);
    }
    return handlers[e->reason](v, e);
}
