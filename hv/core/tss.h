/*
 * A per-pCPU GDT with a 64-bit TSS. VMX needs a non-zero, valid host TR
 * (the VMCS host-state checks refuse TR = 0); SVM does not care.
 */
#ifndef HV_TSS_H
#define HV_TSS_H

#include <stdint.h>

struct percpu;

#define SEL_TSS 0x20   /* after boot/entry32.asm's four boot_gdt entries */

/* Loads this CPU's own GDT copy and its TSS (once per CPU); returns the
   TSS base for the VMCS host-state area. */
uint64_t tss_install(struct percpu *cpu);

#endif
