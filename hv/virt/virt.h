/*
 * The interface between the shared virtualization code and a hardware
 * backend (SVM or VMX). Backends translate their exit codes into the shared
 * reasons below and never make scheduling or policy decisions; handlers live
 * once, in hv/virt and hv/pv.
 */
#ifndef HV_VIRT_H
#define HV_VIRT_H

#include <stdint.h>

#include "pv_abi.h"

struct percpu;
struct vcpu_start;
struct vm;
struct vcpu;

enum exit_reason {
    EXIT_NONE = 0,        /* entry aborted before running (resched, kill) */
    EXIT_HYPERCALL,
    EXIT_HLT,
    EXIT_PAUSE,
    EXIT_INTR,            /* a host interrupt arrived */
    EXIT_IRQ_WINDOW,      /* the guest can take an interrupt now */
    EXIT_IO,
    EXIT_CPUID,
    EXIT_MSR_READ,
    EXIT_MSR_WRITE,
    EXIT_SHUTDOWN,        /* triple fault */
    EXIT_NPF,             /* nested page fault / EPT violation */
    EXIT_INVALID_INSN,    /* a virtualization instruction: #UD to the guest */
    EXIT_ENTRY_FAIL,      /* the CPU refused the guest state */
    EXIT_PREEMPT_TIMER,
    EXIT_CR_ACCESS,       /* a control-register write the backend emulated */
    EXIT_EXCEPTION,       /* an intercepted guest exception, to be reflected */
    EXIT_INVD,            /* INVD: emulated as a no-op, like KVM */
    EXIT_WBINVD,          /* WBINVD: a no-op for guests without devices */
    EXIT_DR_ACCESS,       /* MOV to/from a debug register before the vCPU owns them */
    EXIT_UNKNOWN,
    EXIT_COUNT
};

extern const char *const exit_reason_names[EXIT_COUNT];

struct vexit {
    enum exit_reason reason;
    uint64_t raw;          /* backend's own exit code */
    uint64_t info1, info2; /* backend's qualification fields, for dumps */
    uint32_t insn_len;     /* length of the exiting instruction, if known */
    uint8_t cpl;           /* EXIT_HYPERCALL: the guest's privilege level */
    uint64_t gpa;          /* EXIT_NPF */
    /* EXIT_IO */
    uint16_t port;
    uint8_t io_size;       /* 1, 2 or 4 */
    uint8_t io_in;
    uint8_t io_string;     /* INS/OUTS or REP: not supported */
    /* EXIT_EXCEPTION: the vector and error code to deliver; the backend
       has already put what the exception leaves in guest state (DR6).
       exc_skip: an instruction raised it as a trap (VMX's ICEBP), so RIP
       moves past it (insn_len) before delivery. */
    uint8_t exc_vector, exc_has_error, exc_skip;
    uint32_t exc_error;
    char detail[96];       /* backend's words for EXIT_ENTRY_FAIL/UNKNOWN */
};

struct virt_ops {
    const char *name;      /* "svm", "vmx" */
    /* Per pCPU, before its first vCPU; returns 0 or -1 with err filled. */
    int (*cpu_enable)(struct percpu *cpu, char *err, unsigned errlen);
    int (*vm_init)(struct vm *vm);              /* nested page tables */
    int (*vcpu_init)(struct vcpu *v);           /* control block */
    /* Store a start state (hv/virt/start.c builds it) plus the bits the
       hardware forces. */
    void (*vcpu_set_start)(struct vcpu *v, const struct vcpu_start *s);
    /* Enter the guest from vcpu->regs and come back with the next exit;
       regs are synced both ways. Entry is skipped (EXIT_NONE) when
       virt_entry_must_abort() says so with interrupts held off. */
    void (*vcpu_run)(struct vcpu *v, struct vexit *e);
    int (*irq_window_open)(struct vcpu *v);     /* IF=1, no shadow, no event */
    /* Optional: the window is closed only by an STI shadow over a HLT
       that this backend's entry could lose (QEMU's VMRUN): execute the HLT
       by hand (RIP past it) and return 1 if the window is open now. */
    int (*complete_shadowed_hlt)(struct vcpu *v);
    void (*inject_irq)(struct vcpu *v, uint8_t vector);
    /* Use virt_inject_exception (hv/virt/irq.c), which applies the
       architectural rules (no error code in real mode) once. */
    void (*inject_exception)(struct vcpu *v, uint8_t vector, int has_error,
                             uint32_t error);
    /* What delivering a #DB with this DR6 cause does to the guest's debug
       registers (DR6 set, DR7.GD cleared), for one pvhv injects itself. */
    void (*db_delivered)(struct vcpu *v, uint64_t dr6_cause);
    /* The guest's own view of CR0 or CR4 (n = 0 or 4), without the bits
       the hardware forces. */
    uint64_t (*read_cr)(struct vcpu *v, unsigned n);
    void (*request_irq_window)(struct vcpu *v, int on);
    /* Backend-held MSRs (EFER, segment bases, syscall MSRs, PAT).
       Return 0 if handled, -1 if the MSR is not one of them. */
    int (*msr_read)(struct vcpu *v, uint32_t msr, uint64_t *val);
    int (*msr_write)(struct vcpu *v, uint32_t msr, uint64_t val);
    void (*dump)(struct vcpu *v, void (*out)(const char *fmt, ...));
    /* Flush this vCPU's guest TLB (its ASID/VPID) at its next entry: the
       pv deferred remote flush (DESIGN §6). */
    void (*request_tlb_flush)(struct vcpu *v);
    /* Stop intercepting MOV to/from debug registers for v (hv/virt/xstate.c:
       the vCPU's DR0-3 are live in the hardware from now on). */
    void (*dr_intercept_off)(struct vcpu *v);
    /* With virt_caps.slice_timer: the slice of v ends at deadline_tsc
       (the backend then exits with EXIT_PREEMPT_TIMER). */
    void (*slice_start)(struct vcpu *v, uint64_t deadline_tsc);
    /* Optional: v comes onto / leaves this pCPU for a stretch of entries
       (hv/virt/run.c calls them around each time slice). */
    void (*vcpu_load)(struct vcpu *v);
    void (*vcpu_put)(struct vcpu *v);
    /* Optional: settings this CPU cannot honour (e.g. a 16-bit pause filter
       count). Returns the key at fault, with its value and why, or NULL. */
    const char *(*check_settings)(char *value, unsigned vlen, char *err, unsigned errlen);
};

/* Run-wide settings the backends read when building a vCPU. */
struct virt_settings {
    int ple;                 /* pause-loop exiting on/off */
    uint32_t ple_window;     /* VMX: PLE_Window; SVM: pause filter count */
    uint32_t ple_gap;        /* VMX: PLE_Gap; SVM: pause filter threshold */
    uint32_t ple_exits;      /* software filter: PAUSE exits per window */
    uint32_t ple_grow, ple_shrink;  /* per-vCPU window modifiers (ple.c) */
    uint32_t ple_window_max; /* 0: the backend's ple_window_limit */
    uint32_t ple_window_limit; /* the largest window the hardware takes */
    uint64_t lock_grace_us;  /* lock_grace: extension for a lock holder, 0 = off */
    int ple_hw;              /* ple and the CPU detects loops (virt_apply_caps) */
    uint32_t hw_off;         /* VIRT_OFF_*: offered features not to use (hw_off=) */
};
extern struct virt_settings virt_settings;

/* hw_off=: optional CPU features a test can forbid, to prove pvhv stays
   correct on a CPU without them. */
#define VIRT_OFF_VPID          (1u << 0)
#define VIRT_OFF_PREEMPT_TIMER (1u << 1)
#define VIRT_OFF_PLE           (1u << 2)   /* VMX PAUSE-loop exiting */
#define VIRT_OFF_NRIPS         (1u << 3)   /* SVM next-RIP save */
#define VIRT_OFF_PAUSE_FILTER  (1u << 4)   /* SVM pause filter (and threshold) */
#define VIRT_OFF_FLUSH_ASID    (1u << 5)   /* SVM TLB_CONTROL flush-by-ASID */
#define VIRT_OFF_VMCB_CLEAN    (1u << 6)   /* SVM VMCB clean bits */
#define VIRT_OFF_DECODE        (1u << 7)   /* SVM decode assists */
uint32_t virt_off_bits(const char *hw_off_word);

/* The hardware virtualization features the backend uses, for the run
   record: names separated by single spaces, filled by the probe. */
#define VIRT_FEATURES_MAX 192
extern char virt_features[VIRT_FEATURES_MAX];
void virt_feature_use(const char *name);

/* What the chosen backend's CPU can do (after hw_off=), filled by its
   probe; the decisions built on it are made once, in hv/virt
   (virt_apply_caps, the run loop), never in a backend. */
struct virt_caps {
    int pause_loop_hw;       /* VMX PLE or an SVM pause filter */
    int slice_timer;         /* VMX-preemption timer: slices end without the LAPIC */
};
extern struct virt_caps virt_caps;
/* After a successful probe: the settings that follow from virt_caps. */
void virt_apply_caps(void);

extern const struct virt_ops *virt;

/* Each backend's entry point: its ops table if this CPU can run it, else
   NULL with the missing feature in err (chosen by hv/backend.c). */
const struct virt_ops *svm_probe(struct virt_caps *caps, char *err, unsigned errlen);
const struct virt_ops *vmx_probe(struct virt_caps *caps, char *err, unsigned errlen);

void virt_cpu_enable(struct percpu *cpu);   /* panics on failure */
/* Called by backends with interrupts held off just before entry: a reason
   to go back to the run loop instead (hv/virt/run.c). */
int virt_entry_must_abort(struct vcpu *v);

#endif
