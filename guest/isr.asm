; isr.asm - the guest's interrupt entry stubs: the same stubs and common
; path as the hypervisor's (libpv/isr_stubs.inc). Handlers run on the
; interrupted stack, which keeps the RSP-based vCPU id lookup valid inside
; them.

extern isr_dispatch
global isr_stub_table

%include "isr_stubs.inc"
