/*
 * AP start-up, one AP at a time: the trampoline's parameter block is shared,
 * so the BSP waits for each AP to check in before starting the next.
 */
#include "percpu.h"
#include "smp.h"

#include "console.h"
#include "idt.h"
#include "lapic.h"
#include "layout.h"
#include "pvstring.h"
#include "time.h"
#include "x86.h"

#define INIT_DELAY_US       10000
#define SIPI_DELAY_US       200
#define AP_CHECKIN_US       200000
#define AP_PAGE_SHIFT       12

extern const uint8_t ap_tramp_start[], ap_tramp_end[];
extern uint64_t ap_tramp_params[];  /* cr3, rsp, entry (in the source copy) */
extern const uint8_t boot_gdt_ptr[];

_Static_assert(AP_TRAMPOLINE_ADDR % PAGE_SIZE == 0 && AP_TRAMPOLINE_ADDR < LOW_MEMORY_END,
               "SIPI needs a page-aligned trampoline below 1 MiB");

static volatile int released;
static const struct smp_hooks *hooks;

void cpu_init_common(struct percpu *cpu)
{
    __asm__ volatile("lgdt (%0)" : : "r"(boot_gdt_ptr));
    percpu_install(cpu);
    idt_load();
    lapic_init();
}

static void __attribute__((noreturn)) ap_main(void)
{
    uint32_t id = lapic_id();
    struct percpu *cpu = 0;
    for (unsigned i = 0; i < nr_pcpus; i++)
        if (percpus[i].apic_id == id)
            cpu = &percpus[i];
    if (!cpu)
        for (;;)
            __asm__ volatile("cli; hlt");
    cpu_init_common(cpu);
    __atomic_store_n(&cpu->online, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&released, __ATOMIC_ACQUIRE))
        cpu_relax();
    hooks->ap_main(cpu);
}

unsigned smp_start_aps(const uint32_t *apic_ids, unsigned n, uint32_t bsp_apic,
                       const struct smp_hooks *h)
{
    uint64_t size = (uint64_t)(ap_tramp_end - ap_tramp_start);
    uint8_t *tramp = (uint8_t *)(uintptr_t)AP_TRAMPOLINE_ADDR;
    uint64_t *params = (uint64_t *)(tramp + ((const uint8_t *)ap_tramp_params - ap_tramp_start));
    unsigned online = 1;

    hooks = h;
    memcpy(tramp, ap_tramp_start, size);
    nr_pcpus = 1;
    for (unsigned i = 0; i < n; i++) {
        if (apic_ids[i] == bsp_apic)
            continue;
        struct percpu *cpu = &percpus[nr_pcpus];
        cpu->index = nr_pcpus;
        cpu->apic_id = apic_ids[i];
        cpu->stack_top = (uint64_t)(uintptr_t)h->alloc_stack(HV_STACK_PAGES) +
                         HV_STACK_PAGES * PAGE_SIZE;
        nr_pcpus++;
        params[0] = read_cr3();
        params[1] = cpu->stack_top;
        params[2] = (uint64_t)(uintptr_t)ap_main;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        lapic_send_init(cpu->apic_id);
        udelay(INIT_DELAY_US);
        lapic_send_sipi(cpu->apic_id, AP_TRAMPOLINE_ADDR >> AP_PAGE_SHIFT);
        udelay(SIPI_DELAY_US);
        if (!cpu->online)
            lapic_send_sipi(cpu->apic_id, AP_TRAMPOLINE_ADDR >> AP_PAGE_SHIFT);
        uint64_t deadline = rdtsc() + ns_to_cycles(AP_CHECKIN_US * 1000ull);
        while (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE) && rdtsc() < deadline)
            cpu_relax();
        if (!cpu->online) {
            hv_printf("pvhv: pCPU with APIC ID %u did not start; going on without it\n",
                      cpu->apic_id);
            nr_pcpus--;
            continue;
        }
        online++;
    }
    return online;
}

void smp_release(void) { __atomic_store_n(&released, 1, __ATOMIC_RELEASE); }
