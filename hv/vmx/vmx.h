/*
 * Private interface between the VMX backend's files: the per-pCPU and
 * per-vCPU state, the capabilities read once at probe time and the VMX
 * instructions as inline functions.
 */
#ifndef HV_VMX_H
#define HV_VMX_H

#include <stdint.h>

#include "vmx_arch.h"

struct vcpu;
struct vexit;
struct pv_vcpu_context;

/* Guest MSRs without a VMCS field: loaded into the real MSRs before entry
   (the host never uses them, so they may stay loaded while it runs). */
enum vmx_swap_msr { SWAP_KERNEL_GS_BASE, SWAP_STAR, SWAP_LSTAR, SWAP_CSTAR, SWAP_SFMASK,
                    SWAP_COUNT };

struct vmx_caps {
    uint32_t revision;            /* IA32_VMX_BASIC[30:0] */
    uint32_t pin, proc, proc2, exit, entry;   /* controls every VMCS gets */
    uint64_t ept_vpid;            /* IA32_VMX_EPT_VPID_CAP */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    int has_vpid, has_ple;
    int has_preempt_timer;        /* slices timed by the VMX-preemption timer */
    unsigned preempt_rate;        /* IA32_VMX_MISC[4:0]: TSC >> rate = timer */
    int keep_loaded;              /* one pCPU: a VMCS may stay active across slices */
};

struct vmx_cpu {
    void *vmxon;                  /* VMXON region */
    struct vmx_vcpu *current;     /* VMCS current on this pCPU (VMPTRLD) */
    struct vmx_vcpu *slice;       /* the vCPU in its time slice here (vmx_vcpu_load) */
    struct vcpu *msr_owner;       /* whose swapped MSRs are in the real MSRs */
    uint64_t msr_owner_gen;       /* ... as of which vmx_vcpu.swap_gen */
    unsigned index;
    uint16_t tr_sel;
    uint64_t cr0, cr3, cr4, fs_base, gs_base, tr_base, gdtr_base, idtr_base, efer, pat;
};

struct vmx_vcpu {
    void *vmcs;                   /* page-aligned, identity-mapped */
    uint64_t vmcs_pa;
    uint16_t vpid;                /* 0 without VPID support */
    int launched;                 /* VMLAUNCH done since the last VMCLEAR */
    int host_cpu;                 /* pCPU whose host state the VMCS holds */
    int active_cpu;               /* pCPU the VMCS is active on (not cleared), -1 none */
    int last_cpu;                 /* pCPU of the last entry (TLB flush) */
    int flush_pending;
    uint32_t proc;                /* primary controls (interrupt window) */
    int proc_dirty;
    /* Event to inject at the next entry (0 = none), kept here so the ops
       work while the VMCS is not current. */
    uint32_t entry_intr, entry_error, entry_insn_len;
    uint32_t interruptibility;    /* as of the last exit */
    uint64_t cr8;                 /* the guest's TPR (CR8 exits; never the host's) */
    uint64_t dr6;                 /* off-CPU copy (vmx_load.c) */
    uint64_t exit_rip;            /* RIP at the last exit */
    uint64_t swap_msr[SWAP_COUNT];
    uint64_t swap_gen;            /* bumped whenever swap_msr changes */
    uint64_t slice_end;           /* TSC deadline of the current slice */
};

extern struct vmx_caps vmx_caps;
extern void *vmx_io_bitmaps, *vmx_msr_bitmap;

/* VMX instructions; the ones that can fail return nonzero on VMfail. */
static inline uint64_t vmread(uint32_t field)
{
    uint64_t v;
    __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"((uint64_t)field) : "cc");
    return v;
}

static inline void vmwrite(uint32_t field, uint64_t v)
{
    __asm__ volatile("vmwrite %1, %0" : : "r"((uint64_t)field), "r"(v) : "cc", "memory");
}


#define VMX_PA_INSN(name, mnemonic)                                                 \
    static inline int name(uint64_t pa)                                             \
    {                                                                               \
        uint8_t fail;                                                               \
        __asm__ volatile(mnemonic " %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory"); \
        return fail;                                                                \
    }
VMX_PA_INSN(vmxon, "vmxon")
VMX_PA_INSN(vmptrld, "vmptrld")
VMX_PA_INSN(vmclear, "vmclear")
#undef VMX_PA_INSN

static inline void invvpid(uint64_t type, uint16_t vpid)
{
    struct { uint64_t vpid, addr; } desc = { vpid, 0 };
    __asm__ volatile("invvpid %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

static inline void invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, reserved; } desc = { eptp, 0 };
    __asm__ volatile("invept %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

/* vmcs.c */
int vmx_vcpu_init(struct vcpu *v);
struct vcpu_start;
void vmx_set_start(struct vcpu *v, const struct vcpu_start *s);
int vmx_irq_window_open(struct vcpu *v);
void vmx_inject_irq(struct vcpu *v, uint8_t vector);
void vmx_inject_exception(struct vcpu *v, uint8_t vector, int has_error, uint32_t error);
void vmx_db_delivered(struct vcpu *v, uint64_t dr6_cause);
void vmx_cr_access(struct vcpu *v, struct vexit *e);   /* VMCS current */
uint64_t vmx_read_cr(struct vcpu *v, unsigned n);
void vmx_request_irq_window(struct vcpu *v, int on);
int vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vmx_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
void vmx_dump(struct vcpu *v, void (*out)(const char *fmt, ...));
/* vmx_load.c: make v's VMCS current on this pCPU for an access outside
   its slice (VMPTRLD, host state if it moved); vmcs_put clears it again
   and gives the pCPU back its slice's VMCS. vmcs_try_get returns -1,
   loading nothing, when the VMCS is active on another pCPU. The load/put
   hooks keep a vCPU's VMCS current for its whole time slice. */
void vmcs_get(struct vcpu *v);
int vmcs_try_get(struct vcpu *v);
void vmcs_put(struct vcpu *v);
void vmx_vcpu_load(struct vcpu *v);
void vmx_vcpu_put(struct vcpu *v);

/* vmx_exit.c */
void vmx_vcpu_run(struct vcpu *v, struct vexit *e);
void vmx_request_tlb_flush(struct vcpu *v);
void vmx_dr_intercept_off(struct vcpu *v);
void vmx_slice_start(struct vcpu *v, uint64_t deadline_tsc);

/* vmx_run.asm: 0 after a VM exit, VMX_RUN_FAIL_INVALID / VMX_RUN_FAIL_VALID
   when VMLAUNCH/VMRESUME itself failed (the guest did not run). */
#define VMX_RUN_EXITED       0
#define VMX_RUN_FAIL_INVALID 1
#define VMX_RUN_FAIL_VALID   2
int vmx_world_switch(void *regs, int launched);

#endif
