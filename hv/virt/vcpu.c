/*
 * vCPU helpers shared by every backend: names for dumps, instruction skip,
 * general registers by number.
 */
#include "vcpu.h"

#include "irq.h"
#include "virt.h"
#include "vm.h"
#include "../core/percpu.h"
#include "../core/x86.h"

const char *const vcpu_state_names[VCPU_STATES] = {
    [VCPU_NEW] = "new", [VCPU_RUNNABLE] = "runnable", [VCPU_RUNNING] = "running",
    [VCPU_BLOCKED] = "blocked", [VCPU_DONE] = "done", [VCPU_WAKING] = "waking",
};

const char *const exit_reason_names[EXIT_COUNT] = {
    [EXIT_NONE] = "none", [EXIT_HYPERCALL] = "hypercall", [EXIT_HLT] = "hlt",
    [EXIT_PAUSE] = "pause", [EXIT_INTR] = "intr", [EXIT_IRQ_WINDOW] = "irq_window",
    [EXIT_IO] = "io", [EXIT_CPUID] = "cpuid", [EXIT_MSR_READ] = "msr_read",
    [EXIT_MSR_WRITE] = "msr_write", [EXIT_SHUTDOWN] = "shutdown", [EXIT_NPF] = "npf",
    [EXIT_INVALID_INSN] = "invalid_insn", [EXIT_ENTRY_FAIL] = "entry_fail",
    [EXIT_PREEMPT_TIMER] = "preempt_timer", [EXIT_CR_ACCESS] = "cr_access",
    [EXIT_EXCEPTION] = "exception",
    [EXIT_INVD] = "invd", [EXIT_WBINVD] = "wbinvd", [EXIT_DR_ACCESS] = "dr_access",
    [EXIT_UNKNOWN] = "unknown",
};

/*
 * An instruction pvhv completed for the guest never reached the CPU's
 * end-of-instruction check, so the single-step trap it owed (RFLAGS.TF)
 * is raised here, after it, as the CPU would have. Left to the CPU, the
 * trap came one instruction late, after the next one.
 */
int vcpu_skip_insn(struct vcpu *v, const struct vexit *e)
{
    v->regs.rip += e->insn_len;
    if (!(v->regs.rflags & RFLAGS_TF))
        return 0;
    virt->db_delivered(v, DR6_BS);
    virt_inject_exception(v, X86_EXC_DB, 0, 0);
    return 1;
}

#define GPR_COUNT 16

static uint64_t *gpr_slot(struct vcpu_regs *r, unsigned n)
{
    uint64_t *const slots[GPR_COUNT] = {
        &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
        &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
    };
    return slots[n % GPR_COUNT];
}

uint64_t vcpu_gpr(struct vcpu *v, unsigned n)
{
    return *gpr_slot(&v->regs, n);
}

void vcpu_set_gpr(struct vcpu *v, unsigned n, uint64_t val)
{
    *gpr_slot(&v->regs, n) = val;
}

void vcpu_dump(struct vcpu *v, void (*out)(const char *fmt, ...))
{
    const struct vcpu_regs *r = &v->regs;
    const struct vexit *e = &v->last_exit;

    out("vm%u.vcpu%u state=%s kicked=%d last exit=%s (raw 0x%lx info1=0x%lx info2=0x%lx)\n",
        v->vm->id, v->id, vcpu_state_names[v->se.state], v->se.kicked,
        exit_reason_names[e->reason < EXIT_COUNT ? e->reason : EXIT_UNKNOWN],
        e->raw, e->info1, e->info2);
    out("  RIP=%lx RSP=%lx RFLAGS=%lx RAX=%lx RBX=%lx RCX=%lx RDX=%lx\n",
        r->rip, r->rsp, r->rflags, r->rax, r->rbx, r->rcx, r->rdx);
    out("  RSI=%lx RDI=%lx RBP=%lx R8=%lx R9=%lx R10=%lx R11=%lx\n",
        r->rsi, r->rdi, r->rbp, r->r8, r->r9, r->r10, r->r11);
    if (virt && v->arch)
        virt->dump(v, out);
}

void vcpu_dump_current(void (*out)(const char *fmt, ...))
{
    struct vcpu *v = this_cpu()->current;
    if (v)
        vcpu_dump(v, out);
    else
        out("no vCPU was running on this pCPU\n");
}

/* The world switches' register offsets are generated from struct vcpu_regs
   (tools/gen/asm_offsets.c); they take &vcpu->regs as the vCPU itself. */
_Static_assert(__builtin_offsetof(struct vcpu, regs) == 0, "world switch takes &vcpu->regs");
