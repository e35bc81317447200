; Interrupt and exception entry stubs of the hypervisor: one per vector,
; generated with %rep so the table cannot drift, shared with the guest
; (libpv/isr_stubs.inc). The frame is struct trap_frame (hv/core/idt.h).

extern isr_dispatch
global isr_stub_table

%include "isr_stubs.inc"
