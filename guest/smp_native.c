/*
 * SMP on a bare (or emulated) machine, without pvhv: the CPUs come from the
 * ACPI MADT (libpv/acpi.c, the hypervisor's own code), start through
 * INIT-SIPI-SIPI into boot/ap_trampoline.asm (the hypervisor's trampoline:
 * real mode -> long mode on our page tables, our stack, our entry) and take
 * IPIs through their local APICs. Guest CPU ids are 0..n-1 (0 = the BSP);
 * apic_ids maps them to APIC IDs, which need not be dense.
 */
#include "smp.h"
#include "acpi.h"
#include "arch.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "env.h"
#include "gdt.h"
#include "lapic.h"
#include "paging.h"
#include "percpu.h"
#include "pvstring.h"
#include "tsc.h"
/* The shared trampoline's contract: its address, and the selectors it
   loads, which must mean the same in the guest's GDT (a differing
   redefinition of SEL_CODE64/SEL_DATA from arch.h fails the build). */
#include "../hv/core/layout.h"

#define INIT_DELAY_US   10000     /* INIT to first SIPI (MP spec) */
#define SIPI_DELAY_US   200       /* between the two SIPIs */
#define CHECKIN_MS      1000      /* an AP that has not arrived by then is lost */
#define US_PER_S        1000000ull

extern const uint8_t ap_tramp_start[], ap_tramp_end[];
extern uint64_t ap_tramp_params[];  /* cr3, rsp, entry (in the source copy) */

enum { TP_CR3, TP_RSP, TP_ENTRY };  /* ap_tramp_params slots */

static uint32_t apic_ids[PV_MAX_VCPUS];
static uint8_t arrived[PV_MAX_VCPUS];

static const void *acpi_map(uint64_t pa, uint64_t len)
{
    return paging_identity(pa, len);
}

static void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + muldiv64(us, env.bi->tsc_hz, US_PER_S);

    while (rdtsc() < end)
        cpu_relax();
}

unsigned smp_native_discover(void)
{
    uint32_t found[PV_MAX_VCPUS];
    char err[96];
    unsigned n = 1;
    uint64_t want;
    int nr;

    if (lapic_map() != 0)
        guest_fail(FAIL_SMP, "the local APIC cannot be mapped");
    lapic_enable();
    apic_ids[0] = lapic_id();
    nr = acpi_find_cpus(0, acpi_map, found, PV_MAX_VCPUS, err, sizeof(err));
    if (nr < 0) {
        kprintf("smp: %s; running on the boot CPU only\n", err);
        nr = 0;
    }
    for (int i = 0; i < nr; i++) {
        if (found[i] == apic_ids[0])
            continue;
        if (found[i] > APIC_MAX_ID || n == PV_MAX_VCPUS) {
            kprintf("smp: MADT CPU with APIC ID %u not usable (xAPIC IDs "
                    "0..%u, at most %u CPUs)\n", found[i], APIC_MAX_ID,
                    PV_MAX_VCPUS);
            guest_fail(FAIL_SMP, "unusable CPU in the MADT");
        }
        apic_ids[n++] = found[i];
    }
    /* vcpus=N natively: use the first N CPUs (BSP first), as under pvhv
       vcpus= says how many a VM gets. */
    want = cfg_u64("vcpus", n, 1, PV_MAX_VCPUS);
    if (want > n) {
        kprintf("guest: bad vcpus=%lu: this machine has %u CPUs\n", want, n);
        guest_fail(FAIL_CONFIG, "bad command line value");
    }
    if (cfg_u64("vms", 1, 1, 1) != 1)
        guest_fail(FAIL_CONFIG, "vms: a native run is one machine");
    return (unsigned)want;
}

void ap_native_entry(void);

/* First C code of an AP, from the trampoline, on its own stack slot. */
void ap_native_entry(void)
{
    unsigned id = this_cpu();

    gdt_load();             /* leave the trampoline's table behind */
    lapic_enable();
    __atomic_store_n(&arrived[id], 1, __ATOMIC_RELEASE);
    ap_main(id);
}

static int wait_arrival(unsigned id, uint64_t ms)
{
    uint64_t end = rdtsc() + tsc_ms_to_cycles(ms);

    while (!__atomic_load_n(&arrived[id], __ATOMIC_ACQUIRE)) {
        if (rdtsc() > end)
            return 0;
        cpu_relax();
    }
    return 1;
}

/* One AP at a time: the trampoline's parameter block is shared. */
void smp_native_start_aps(void)
{
    uint8_t *tramp = (uint8_t *)(uintptr_t)AP_TRAMPOLINE_ADDR;
    uint64_t *params = (uint64_t *)(tramp + ((const uint8_t *)ap_tramp_params -
                                             ap_tramp_start));
    uint32_t page = AP_TRAMPOLINE_ADDR >> SIPI_VECTOR_SHIFT;

    memcpy(tramp, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
    for (unsigned id = 1; id < env.bi->nr_vcpus; id++) {
        uint32_t a = apic_ids[id];

        params[TP_CR3] = paging_cr3();
        params[TP_RSP] = percpu_stack_top(id);
        params[TP_ENTRY] = (uintptr_t)ap_native_entry;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (lapic_send_init(a) != 0 || (udelay(INIT_DELAY_US),
                                        lapic_send_sipi(a, page)) != 0) {
            kprintf("smp: APIC ID %u: ICR stayed busy\n", a);
            guest_fail(FAIL_SMP, "could not send INIT/SIPI");
        }
        udelay(SIPI_DELAY_US);
        if (!__atomic_load_n(&arrived[id], __ATOMIC_ACQUIRE))
            lapic_send_sipi(a, page);
        if (!wait_arrival(id, CHECKIN_MS)) {
            kprintf("smp: CPU %u (APIC ID %u) did not start within %u ms\n",
                    id, a, CHECKIN_MS);
            guest_fail(FAIL_SMP, "a CPU did not start");
        }
    }
}

long smp_native_send_ipi(uint64_t mask, unsigned base, unsigned vector)
{
    unsigned n = env.bi->nr_vcpus;
    long sent = 0;

    /* The hypercall's rules, so both paths refuse the same requests. */
    if (vector < VEC_FIRST_EXTERNAL || vector >= IDT_VECTORS)
        return -PV_EINVAL;
    for (uint64_t m = mask; m; m &= m - 1) {
        uint64_t cpu = (uint64_t)base + (unsigned)__builtin_ctzll(m);
        if (cpu >= n)
            return -PV_EINVAL;
    }
    for (uint64_t m = mask; m; m &= m - 1) {
        unsigned cpu = base + (unsigned)__builtin_ctzll(m);
        if (lapic_send_ipi(apic_ids[cpu], (uint8_t)vector) != 0)
            return -PV_EBUSY;
        sent++;
    }
    return sent;
}
