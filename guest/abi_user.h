/*
 * Hypercalls from ring 3, for task=abi: the hypervisor must refuse them.
 */
#ifndef GUEST_ABI_USER_H
#define GUEST_ABI_USER_H

#include <stdint.h>

/* Hypercall nr (a0 in RBX, a1 in RCX) issued at CPL 3 with VMMCALL when
   amd_cpu, else VMCALL; returns RAX. */
long abi_user_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, int amd_cpu);

#endif
