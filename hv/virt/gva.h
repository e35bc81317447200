/*
 * Reading guest memory through the guest's own page tables, for the rare
 * cases where the hypervisor must look at a guest instruction.
 */
#ifndef HV_GVA_H
#define HV_GVA_H

#include <stdint.h>

struct vm;

struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
};

/* Translates a guest linear address; 0 on success, -1 if it is not mapped,
   lies outside the VM's RAM or the paging mode is one pvhv does not walk
   (32-bit paging with CR0.PG set). */
int gva_to_gpa(struct vm *vm, const struct guest_paging *p, uint64_t gva, uint64_t *gpa);
int guest_read_byte(struct vm *vm, const struct guest_paging *p, uint64_t gva, uint8_t *out);

#endif
