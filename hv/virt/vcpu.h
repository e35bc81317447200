/*
 * A virtual CPU: its architectural registers (kept here in a backend-neutral
 * form and synced by the backend around each entry), scheduling state, the
 * pv latches and its statistics.
 */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <stdint.h>

#include "virt.h"
#include "../sched/sched.h"

/* Field order is the world switch's contract (hv/svm/svm_run.asm). */
struct vcpu_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rsp, rip, rflags;
};

enum hc_stat {
    HC_STAT_KICK_CPU, HC_STAT_SEND_IPI, HC_STAT_SCHED_YIELD, HC_STAT_VCPU_START,
    HC_STAT_REPORT, HC_STAT_VM_DONE, HC_STAT_CONSOLE_WRITE, HC_STAT_LOCKINFO, HC_STAT_FLUSH_TLB,
    HC_STAT_OPLOG, HC_STAT_INVALID,
    HC_STAT_COUNT
};

struct vcpu_stats {
    uint64_t exits[EXIT_COUNT];
    uint64_t hypercalls[HC_STAT_COUNT];
    uint64_t kicks_received;
    uint64_t irqs_injected;
    uint64_t io_ignored;       /* port I/O outside the emulated COM1 */
    uint64_t tlb_flushes_on_entry; /* deferred pv flushes done at entry */
    uint64_t guest_tlb_flushes; /* INVVPID/INVEPT (VMX) or TLB_CONTROL flush (SVM) at entry */
    uint64_t tlb_hv_requested; /* tlb=hv: FLUSH_TLB hypercalls that newly flagged it */
    uint64_t tlb_hv_flushes;   /* tlb=hv: flags consumed before an entry */
    uint64_t tlb_hv_forced_exits; /* tlb=hv: pokes while it was in guest mode */
    uint64_t tlb_hv_wait_cycles;  /* tlb=hv, as caller: waiting for targets' exits */
    uint64_t ple_exits;        /* pause loops detected (yields: se.stats) */
    uint64_t pause_exits;      /* PAUSE exits (software filter input) */
    uint64_t shadowed_hlts;    /* HLTs in an STI shadow completed by hand */
    uint64_t inject_exits;     /* SVM, virtualised: exits forced after an injection */
    uint64_t lhp;              /* preempted holding a lock (pv/lockinfo.c) */
    uint64_t waiter_preempts;  /* preempted waiting for a lock */
    uint32_t ple_window_peak;  /* the largest pause-loop window it had */
    uint64_t lock_graces;      /* lock_grace: slice ends deferred for a holder */
};

#define VCPU_CONSOLE_LINE 200
#define IRQ_WORDS 4

struct vm;

struct vcpu {
    struct vcpu_regs regs;     /* first: the world switch takes &vcpu->regs */
    struct vm *vm;
    uint32_t id;               /* == guest APIC ID */
    struct sched_entity se;    /* scheduling state, latches, run statistics */
    int start_claimed;         /* VCPU_START won (atomic exchange, once) */
    volatile uint64_t irq_pending[IRQ_WORDS];
    int irq_window_requested;
    void *arch;                /* backend control block (VMCB/VMCS) */
    uint64_t arch_pa;
    struct vexit last_exit;
    char line[VCPU_CONSOLE_LINE + 1];
    unsigned line_len;
    uint8_t uart_lcr;
    uint64_t steal_msr;        /* MSR_KVM_STEAL_TIME as the guest wrote it */
    uint64_t lockinfo_gpa;     /* PV_HC_LOCKINFO area, valid if lockinfo_on */
    int lockinfo_on;
    uint64_t pause_window_start; /* software PLE: TSC of the window start */
    uint32_t pause_count;      /* software PLE: PAUSE exits in the window */
    uint32_t ple_window;       /* hardware PLE: this vCPU's window (ple.c) */
    int ple_window_dirty;      /* the backend must write it before entry */
    uint32_t tlb_hv_flush;     /* tlb=hv: flush before the next entry (pv/tlb_hv.c) */
    uint32_t owner;            /* pCPU index + 1 from vcpu_load until its
                                  state is saved in vcpu_put; 0 = none */
    uint64_t run_seq;          /* odd from just before the flush check to
                                  after the exit (hv/virt/run.c): maybe in guest */
    void *xstate;              /* XSAVE/FXSAVE area, off-CPU (hv/virt/xstate.c) */
    uint64_t dr[4];            /* DR0-DR3, off-CPU */
    int dr_active;             /* the guest has touched a debug register:
                                  DR0-3 are switched with the vCPU */
    uint64_t cr2;              /* off-CPU (VMX has no field; Bochs' SVM keeps none) */
    struct vcpu_stats stats;
};

extern const char *const vcpu_state_names[VCPU_STATES];

void vcpu_dump(struct vcpu *v, void (*out)(const char *fmt, ...));
/* The panic dump's hook: the vCPU this pCPU runs, or a line saying none. */
void vcpu_dump_current(void (*out)(const char *fmt, ...));
/* RIP past the exiting instruction; returns 1 if that raised the guest's
   single-step trap (a #DB now being injected). */
int vcpu_skip_insn(struct vcpu *v, const struct vexit *e);
/* General register n (0..15) in the SDM's numbering (RAX, RCX, RDX, RBX,
   RSP, RBP, RSI, RDI, R8..R15), as an instruction's ModRM/REX names it. */
uint64_t vcpu_gpr(struct vcpu *v, unsigned n);
void vcpu_set_gpr(struct vcpu *v, unsigned n, uint64_t val);

static inline struct vcpu *vcpu_of(struct sched_entity *e)
{
    return (struct vcpu *)((char *)e - __builtin_offsetof(struct vcpu, se));
}

#endif
