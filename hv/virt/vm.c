/*
 * Creating the VMs from the configuration, guest-physical address
 * translation and the one place a VM ends.
 */
#include "vm.h"

#include "loader.h"
#include "oplog.h"
#include "start.h"
#include "xstate.h"
#include "fmt.h"
#include "pvstring.h"
#include "../cfg.h"
#include "../core/bootinfo.h"
#include "../core/console.h"
#include "../core/json.h"
#include "../core/spinlock.h"
#include "../core/time.h"
#include "../core/x86.h"
#include "../mm/frame.h"
#include "../mm/page.h"
#include "../sched/sched.h"

#include <stdarg.h>

#define SEED_MIX 0x9E3779B97F4A7C15ull

_Static_assert(MAX_VMS <= SCHED_MAX_GROUPS, "one scheduler group per VM");
_Static_assert(BOOT_MAX_MODULES >= MAX_VMS, "a guest module per VM");

struct vm vms[MAX_VMS];
unsigned nr_vms;
static volatile unsigned vms_running;
static spinlock_t finish_lock = SPINLOCK_INIT;

static int create_error(const char **key, const char *which, char *err, unsigned errlen,
                        const char *msg)
{
    *key = which;
    pv_snprintf(err, errlen, "%s", msg);
    return -1;
}

int vm_create_all(const struct cfg *cfg, const char (*cmdlines)[PV_CMDLINE_MAX],
                  const struct boot_module *guests, unsigned nr_guests,
                  const char **key, char *err, unsigned errlen)
{
    char why[200], load_err[160];

    for (unsigned i = 0; i < cfg->vms; i++) {
        struct vm *vm = &vms[i];
        vm->id = i;
        vm->state = VM_RUNNING;
        vm->mem_bytes = cfg->mem;
        vm->nr_vcpus = (unsigned)cfg->vcpus;
        vm->seed = cfg->seed * SEED_MIX + i;
        vm->console_budget = cfg->console_budget;
        vm->sg.id = i;
        vm->mem_hpa = frame_alloc_contig(cfg->mem / FRAME_SIZE, PAGE_2M);
        if (!vm->mem_hpa) {
            pv_snprintf(why, sizeof(why), "out of memory for VM %u's %luM", i, cfg->mem >> 20);
            return create_error(key, "mem", err, errlen, why);
        }
        memset((void *)(uintptr_t)vm->mem_hpa, 0, cfg->mem);
        vm->vcpus = pages_alloc_zeroed((sizeof(struct vcpu) * vm->nr_vcpus + FRAME_SIZE - 1) /
                                       FRAME_SIZE);
        unsigned m = i < nr_guests ? i : nr_guests - 1;
        const struct boot_module *guest = &guests[m];
        if (loader_load_guest(vm, (const void *)(uintptr_t)guest->start,
                              guest->end - guest->start, cmdlines[i], load_err,
                              sizeof(load_err))) {
            pv_snprintf(why, sizeof(why), "VM %u's guest module %u (%s): %s", i, m,
                        guest->name[0] ? guest->name : "unnamed", load_err);
            return create_error(key, "guest", err, errlen, why);
        }
        if (virt->vm_init(vm))
            return create_error(key, "mem", err, errlen, "could not build the nested page tables");
        for (unsigned c = 0; c < vm->nr_vcpus; c++) {
            struct vcpu *v = &vm->vcpus[c];
            v->vm = vm;
            v->id = c;
            sched_entity_init(&v->se, &vm->sg, c);
            if (virt->vcpu_init(v) || xstate_vcpu_init(v))
                return create_error(key, "vcpus", err, errlen,
                                    "could not create a vCPU control block or FPU save area");
        }
        sched_group_add(&vm->sg);
        nr_vms++;
    }
    vms_running = nr_vms;
    for (unsigned i = 0; i < nr_vms; i++) {
        struct vcpu *v0 = &vms[i].vcpus[0];
        vcpu_start_boot32(v0, (uint32_t)vms[i].entry);
        v0->regs.rax = PV_BOOT_MAGIC;
        v0->regs.rbx = vms[i].boot_info_gpa;
        vms[i].started_tsc = rdtsc();
        sched_start(&v0->se);
    }
    return 0;
}

void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (gpa > vm->mem_bytes || len > vm->mem_bytes - gpa)
        return 0;
    return (void *)(uintptr_t)(vm->mem_hpa + gpa);
}

void vm_finish(struct vm *vm, enum vm_state how, uint64_t status, const char *fmt, ...)
{
    char reason[VM_REASON_MAX];
    va_list ap;

    va_start(ap, fmt);
    pv_vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    /* First caller wins: a VM that reports done while being killed ends once. */
    uint64_t flags = spin_lock_irqsave(&finish_lock);
    if (vm->state != VM_RUNNING) {
        spin_unlock_irqrestore(&finish_lock, flags);
        return;
    }
    memcpy(vm->reason, reason, sizeof(reason));
    vm->guest_status = status;
    vm->ended_tsc = rdtsc();
    __atomic_store_n(&vm->state, how, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&finish_lock, flags);
    if (how == VM_KILLED) {
        hv_printf("pvhv: vm%u killed: %s\n", vm->id, reason);
        vm_oplog_snapshot(vm);
    }
    sched_group_finish(&vm->sg);
    __atomic_fetch_sub(&vms_running, 1, __ATOMIC_ACQ_REL);
}

unsigned vm_count_in_state(enum vm_state s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nr_vms; i++)
        n += vms[i].state == s;
    return n;
}

void vm_end_fields(struct json *j)
{
    json_u64(j, "vms_done", vm_count_in_state(VM_DONE));
    json_u64(j, "vms_killed", vm_count_in_state(VM_KILLED));
}

int vm_all_finished(void) { return __atomic_load_n(&vms_running, __ATOMIC_ACQUIRE) == 0; }
