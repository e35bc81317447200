/*
 * Exit dispatch: one handler per shared exit reason, bounds- and
 * NULL-checked; an exit nobody handles kills only its VM.
 */
#ifndef HV_EXIT_H
#define HV_EXIT_H

#include "virt.h"

struct vcpu;

/* What the run loop does after an exit has been handled. */
enum exit_action {
    ACT_CONTINUE = 0,  /* re-enter the guest */
    ACT_BLOCK,         /* HLT: give the pCPU up until a kick or interrupt */
    ACT_YIELD,         /* give the pCPU up, stay runnable */
    ACT_STOP,          /* the VM ended */
};

typedef enum exit_action (*exit_handler_fn)(struct vcpu *v, struct vexit *e);

/* The paravirtual layer (hv/pv) as the exit handlers and the run loop see
   it; hv/main.c registers it once at boot, so calls go from virt to pv
   only through here and pv calls virt directly. */
struct virt_pv_ops {
    exit_handler_fn hypercall;                 /* EXIT_HYPERCALL */
    uint32_t (*features)(void);                /* CPUID PV_CPUID_FEATURES EAX */
    uint64_t (*steal_msr_read)(const struct vcpu *v);
    int (*steal_msr_write)(struct vcpu *v, uint64_t val);   /* -1: #GP */
    void (*vcpu_load)(struct vcpu *v);         /* before a slice's first entry */
    void (*vcpu_entry)(struct vcpu *v);        /* before every entry, run_seq odd */
    void (*vcpu_preempted)(struct vcpu *v);    /* taken off while runnable */
    int (*vcpu_holds_lock)(const struct vcpu *v); /* its lockinfo page says so */
};
extern const struct virt_pv_ops *virt_pv;

enum exit_action virt_handle_exit(struct vcpu *v, struct vexit *e);

enum exit_action handle_io(struct vcpu *v, struct vexit *e);
enum exit_action handle_cpuid(struct vcpu *v, struct vexit *e);
enum exit_action handle_msr_read(struct vcpu *v, struct vexit *e);
enum exit_action handle_msr_write(struct vcpu *v, struct vexit *e);
/* Prints one line of a vCPU dump (vcpu_dump's printer) on the console. */
void exit_dump_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Kills the VM with a reason (after dumping the vCPU) and returns ACT_STOP. */
enum exit_action kill_vm(struct vcpu *v, const char *why);

#endif
