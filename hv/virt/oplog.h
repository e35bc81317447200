/*
 * The operation log a guest may register (PV_HC_OPLOG) and the copy of
 * its last lines the hypervisor keeps when it kills the VM.
 */
#ifndef HV_OPLOG_H
#define HV_OPLOG_H

#include <stdint.h>

struct vm;

/* PV_HC_OPLOG: 0, or -errno with the registration unchanged. */
int64_t vm_oplog_register(struct vm *vm, uint64_t gpa);
/* Copies the last lines into vm->last_ops and prints them (vm_finish,
   once, when the VM is killed). */
void vm_oplog_snapshot(struct vm *vm);

#endif
