/*
 * Secondary vCPU start-up and the SMP primitives the tasks share.
 */
#include "smp.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "env.h"
#include "gdt.h"
#include "hypercall.h"
#include "paging.h"
#include "percpu.h"
#include "smp_race.h"

extern char ap_entry64[];

/* Read by the hypervisor at VCPU_START time; kept for the VM's lifetime. */
static struct pv_vcpu_context ap_ctx[PV_MAX_VCPUS];
static uint32_t vcpus_up;

static struct {
    uint32_t count;
    uint32_t generation;
} barrier;

unsigned smp_vcpus_up(void)
{
    return __atomic_load_n(&vcpus_up, __ATOMIC_ACQUIRE);
}

void smp_announce(unsigned cpu)
{
    kprintf("vcpu %u up\n", cpu);
    __atomic_add_fetch(&vcpus_up, 1, __ATOMIC_ACQ_REL);
}

void smp_start_aps(void)
{
    static uintptr_t ctx_gpa[PV_MAX_VCPUS];

    if (!env.pv) {
        smp_native_start_aps();
        return;
    }
    for (unsigned id = 1; id < env.bi->nr_vcpus; id++) {
        struct pv_vcpu_context *c = &ap_ctx[id];

        *c = (struct pv_vcpu_context){
            .cr3 = paging_cr3(),
            .rip = (uintptr_t)ap_entry64,
            .rsp = percpu_stack_top(id),
            .arg = id,
            .gdt_base = gdt_base(),
            .gdt_limit = gdt_limit(),
            .cs = SEL_CODE64,
            .ds = SEL_DATA,
        };
        ctx_gpa[id] = (uintptr_t)c;
    }
    /* task=abi: vCPU0 and vCPU1 race to start the rest (smp_race.c). */
    unsigned alone = smp_race_wanted() ? 2 : env.bi->nr_vcpus;
    for (unsigned id = 1; id < alone; id++) {
        long r = hypercall4(PV_HC_VCPU_START, id, ctx_gpa[id], 0, 0);
        if (r < 0) {
            kprintf("smp: PV_HC_VCPU_START(%u) failed: error %ld\n", id, -r);
            guest_fail(FAIL_SMP, "could not start a vCPU");
        }
    }
    if (alone < env.bi->nr_vcpus)
        smp_race_run(ctx_gpa);
}

/* The last arrival resets the count and then moves the generation on; the
   others wait for the generation to change, so the barrier can be reused at
   once. */
void smp_barrier(void)
{
    uint32_t gen = __atomic_load_n(&barrier.generation, __ATOMIC_ACQUIRE);

    if (__atomic_add_fetch(&barrier.count, 1, __ATOMIC_ACQ_REL) ==
        env.bi->nr_vcpus) {
        __atomic_store_n(&barrier.count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&barrier.generation, gen + 1, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&barrier.generation, __ATOMIC_ACQUIRE) == gen)
        cpu_relax();
}

int smp_can_ipi(void)
{
    return !env.pv || pv_has(PV_FEATURE_PV_SEND_IPI);
}

const char *smp_ipi_path(void)
{
    return env.pv ? "hypercall" : "apic";
}

long smp_send_ipi(uint64_t mask, unsigned base, unsigned vector)
{
    if (!env.pv)
        return smp_native_send_ipi(mask, base, vector);
    /* KVM's convention: two bitmap words (only the low one is needed for
       PV_MAX_VCPUS = 64), the lowest APIC ID, the ICR (fixed delivery). */
    return hypercall4(PV_HC_SEND_IPI, mask, 0, base, vector & 0xFF);
}
