/*
 * The guest's GDT: null, 64-bit code (SEL_CODE64), flat data (SEL_DATA).
 * boot32.asm loads it on vCPU0; secondaries get it through their start
 * context under pvhv, or load it themselves natively (gdt_load).
 */
#ifndef GUEST_GDT_H
#define GUEST_GDT_H

#include <stdint.h>

/* This CPU: the guest's GDT instead of whatever table got it here. */
void gdt_load(void);
uint64_t gdt_base(void);
uint16_t gdt_limit(void);

#endif
