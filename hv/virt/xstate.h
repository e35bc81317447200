/*
 * Guest register state that neither VMX nor SVM switches on entry and exit:
 * x87/SSE/AVX (XSAVE where offered, else FXSAVE), PKRU (an XSAVE component),
 * the debug address registers DR0-DR3 and CR2. pvhv itself never touches them
 * (-mgeneral-regs-only, no breakpoints), so a vCPU's values stay in the
 * registers while it runs and are saved and restored around each time
 * slice: no vCPU, of this VM or another, ever sees another's.
 */
#ifndef HV_XSTATE_H
#define HV_XSTATE_H

struct vcpu;

/* Per pCPU, before the backend's cpu_enable (its host CR4 includes
   OSFXSR and OSXSAVE from here on): the same XCR0 everywhere. */
void xstate_cpu_init(void);
/* A vCPU's save area, in the reset state (FCW 0x37F, MXCSR 0x1F80). */
int xstate_vcpu_init(struct vcpu *v);
/* Around a time slice on this pCPU (hv/virt/run.c). */
void xstate_load(struct vcpu *v);
void xstate_save(struct vcpu *v);
/* The guest's first MOV to/from a debug register (EXIT_DR_ACCESS). */
void xstate_dr_activate(struct vcpu *v);

#endif
