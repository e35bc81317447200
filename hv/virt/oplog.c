/*
 * A VM's operation log (pv_abi.h struct pv_oplog): the GPA a guest
 * registered, and the copy taken when the VM is killed, so its record can
 * say what the guest did last (issue 13: "a killed VM says what killed
 * it"). The area is guest memory the guest may still be writing from
 * another vCPU: every byte is read once into the copy and made printable
 * there; nothing read from it is trusted for anything but printing.
 */
#include "oplog.h"

#include "vm.h"
#include "../core/console.h"

#define PRINTABLE_FIRST 0x20
#define PRINTABLE_LAST  0x7E

int64_t vm_oplog_register(struct vm *vm, uint64_t gpa)
{
    if (gpa & (PV_OPLOG_ALIGN - 1))
        return -PV_EINVAL;
    if (gpa && !vm_gpa_to_hva(vm, gpa, sizeof(struct pv_oplog)))
        return -PV_EFAULT;
    __atomic_store_n(&vm->oplog_gpa, gpa, __ATOMIC_RELEASE);
    return 0;
}

static void copy_line(char *dst, const volatile char *src)
{
    unsigned n = 0;
    for (; n < PV_OPLOG_LINE - 1; n++) {
        char c = src[n];
        if (!c)
            break;
        dst[n] = (c < PRINTABLE_FIRST || c > PRINTABLE_LAST) ? '?' : c;
    }
    dst[n] = '\0';
}

void vm_oplog_snapshot(struct vm *vm)
{
    uint64_t gpa = __atomic_load_n(&vm->oplog_gpa, __ATOMIC_ACQUIRE);
    vm->nr_last_ops = 0;
    if (!gpa)
        return;
    volatile struct pv_oplog *log = vm_gpa_to_hva(vm, gpa, sizeof(struct pv_oplog));
    if (!log)
        return;
    uint64_t next = log->next;
    unsigned n = next < PV_OPLOG_LINES ? (unsigned)next : PV_OPLOG_LINES;
    for (unsigned i = 0; i < n; i++)
        copy_line(vm->last_ops[i], log->text[(next - n + i) % PV_OPLOG_LINES]);
    vm->last_ops_next = next;
    vm->nr_last_ops = n;
    for (unsigned i = 0; i < n; i++)
        hv_printf("pvhv: vm%u op log %lu: %s\n", vm->id, next - n + i, vm->last_ops[i]);
}
