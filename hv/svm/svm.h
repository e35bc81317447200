/*
 * Private interface between the SVM backend's files.
 */
#ifndef HV_SVM_H
#define HV_SVM_H

#include <stdint.h>

#include "svm_arch.h"

struct vcpu;
struct vexit;
struct pv_vcpu_context;

#define SVM_MAX_ASIDS 256

struct svm_cpu {
    void *hsave;                  /* VM_HSAVE_PA area */
    void *host_vmcb;              /* VMSAVE/VMLOAD of host FS/GS/TR/... */
    uint64_t host_vmcb_pa;
    struct vcpu *asid_owner[SVM_MAX_ASIDS];
};

struct svm_vcpu {
    struct vmcb *vmcb;            /* page-aligned, identity-mapped */
    uint32_t asid;
    int last_cpu;                 /* pCPU of its last entry, -1 if none */
    int flush_pending;            /* flush this ASID at the next entry */
    uint64_t exit_rip;            /* RIP at the last exit: where a shadow applies */
    uint32_t dirty;               /* VMCB_CLEAN_* groups changed since the last VMRUN */
};

/* CPUID 0x8000000A EDX, less what hw_off= forbids: the features in use. */
extern uint32_t svm_features;
/* Force an exit right after each entry that injects an external interrupt
   (hv/svm/svm_exit.c), set when CPUID says pvhv itself is virtualised. */
extern int svm_inject_exit_quirk;
extern uint32_t svm_nr_asids;
extern void *svm_iopm, *svm_msrpm;

int svm_vcpu_init(struct vcpu *v);
struct vcpu_start;
void svm_set_start(struct vcpu *v, const struct vcpu_start *s);
void svm_vcpu_run(struct vcpu *v, struct vexit *e);
int svm_irq_window_open(struct vcpu *v);
int svm_shadow_active(struct vcpu *v);
int svm_complete_shadowed_hlt(struct vcpu *v);
void svm_inject_irq(struct vcpu *v, uint8_t vector);
void svm_inject_exception(struct vcpu *v, uint8_t vector, int has_error, uint32_t error);
void svm_db_delivered(struct vcpu *v, uint64_t dr6_cause);
/* What a #DB delivery does to DR7 (GD cleared), for a reflected one too. */
void svm_clear_dr7_gd(struct svm_vcpu *sv);
uint64_t svm_read_cr(struct vcpu *v, unsigned n);
void svm_request_irq_window(struct vcpu *v, int on);
int svm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int svm_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
void svm_dump(struct vcpu *v, void (*out)(const char *fmt, ...));
void svm_translate_exit(struct vcpu *v, struct vexit *e);
/* svm_cr.c: emulates the CR0/CR4 write of an EXIT_CR_ACCESS, or turns it
   into EXIT_UNKNOWN with the reason in e->detail. */
void svm_cr_write(struct vcpu *v, struct vexit *e);
void svm_request_tlb_flush(struct vcpu *v);
void svm_dr_intercept_off(struct vcpu *v);
const char *svm_check_settings(char *value, unsigned vlen, char *err, unsigned errlen);

static inline void svm_mark_dirty(struct svm_vcpu *sv, uint32_t groups) { sv->dirty |= groups; }

/* svm_run.asm */
void svm_world_switch(void *regs, uint64_t vmcb_pa, uint64_t host_vmcb_pa);

#endif
