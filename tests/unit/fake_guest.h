/*
 * One fake VM with one vCPU over a flat guest RAM, for unit tests that link
 * real hypervisor files which reach guest memory through vm_gpa_to_hva()
 * (the page walk, the steal-time area). Include it in exactly one .c of a
 * test binary, after virt/vcpu.h and virt/vm.h: it defines that function.
 */
#ifndef PVHV_TEST_FAKE_GUEST_H
#define PVHV_TEST_FAKE_GUEST_H

#include <stdint.h>
#include <string.h>

#include "virt/vcpu.h"
#include "virt/vm.h"

#define FAKE_GUEST_BYTES (64 * 1024)

static _Alignas(4096) uint8_t guest_ram[FAKE_GUEST_BYTES];
static struct vm fake_vm;
static struct vcpu vcpu;

/* Only the fake VM has memory, and only inside guest_ram. */
void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (vm != &fake_vm || gpa >= FAKE_GUEST_BYTES || len > FAKE_GUEST_BYTES - gpa)
        return NULL;
    return guest_ram + gpa;
}

/* Zeroed RAM, VM and vCPU, the vCPU belonging to the VM: each test's start. */
static inline void fake_guest_reset(void)
{
    memset(guest_ram, 0, sizeof(guest_ram));
    memset(&fake_vm, 0, sizeof(fake_vm));
    memset(&vcpu, 0, sizeof(vcpu));
    vcpu.vm = &fake_vm;
}

#endif
