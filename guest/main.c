/*
 * The guest kernel's C entry points: guest_main on vCPU0 (from boot32.asm)
 * and ap_main on every other vCPU (from ap_entry.asm).
 */
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "env.h"
#include "idt.h"
#include "percpu.h"
#include "records.h"
#include "smp.h"
#include "smp_race.h"
#include "steal.h"
#include "tasks.h"

void guest_main(uint32_t magic, uint32_t info_gpa);

void guest_main(uint32_t magic, uint32_t info_gpa)
{
    env_init(magic, info_gpa);
    idt_init();
    idt_load();
    kprintf("pvhv guest: vm %u, %u vCPUs, %lu MiB, tsc %lu Hz, %s%s\n",
            env.bi->vm_id, env.bi->nr_vcpus, env.bi->mem_bytes >> 20,
            env.bi->tsc_hz, env.pv ? "pvhv" : "native",
            env.pv ? "" : " (multiboot)");
    if (env.pv)
        kprintf("pv features 0x%x:%s%s%s%s%s\n", env.pv_features,
                pv_has(PV_FEATURE_STEAL_TIME) ? " steal_time" : "",
                pv_has(PV_FEATURE_PV_UNHALT) ? " pv_unhalt" : "",
                pv_has(PV_FEATURE_PV_TLB_FLUSH) ? " pv_tlb_flush" : "",
                pv_has(PV_FEATURE_PV_SEND_IPI) ? " pv_send_ipi" : "",
                pv_has(PV_FEATURE_PV_SCHED_YIELD) ? " pv_sched_yield" : "");
    /* Every setting is checked before any other vCPU runs. */
    tasks_configure();
    if (!env.pv)
        records_run();  /* pvhv prints this one itself */
    steal_register(0);
    smp_announce(0);
    smp_start_aps();
    irq_enable();
    tasks_run(0);
}

void ap_main(uint64_t id)
{
    /* The RSP slot is the id everything else uses; they must agree. */
    if (id != this_cpu() || id >= env.bi->nr_vcpus) {
        kprintf("vcpu ?: started with id %lu on stack slot %u\n", id,
                this_cpu());
        guest_fail(FAIL_SMP, "vCPU start context does not match");
    }
    idt_load();
    steal_register((unsigned)id);  /* before "up": tasks may rely on it */
    smp_announce((unsigned)id);
    smp_race_join((unsigned)id);   /* task=abi: vCPU1 starts the rest too */
    irq_enable();
    tasks_run((unsigned)id);
}
