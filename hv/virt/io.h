/*
 * The guest's console (hv/virt/io.c): COM1 bytes and CONSOLE_WRITE text,
 * printed as tagged lines, and the per-VM console_budget that REPORT
 * records are counted against too.
 */
#ifndef HV_IO_H
#define HV_IO_H

#include <stdint.h>

struct vcpu;

/* One byte of guest console text (COM1 or CONSOLE_WRITE). */
void console_guest_byte(struct vcpu *v, char c);
/* Takes n bytes of v's VM's console_budget: 1 if they may be printed, 0
   once it is spent (counted in console_dropped; the crossing is said once). */
int console_take(struct vcpu *v, uint64_t n);

#endif
