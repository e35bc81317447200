/*
 * See lapic.h. Register offsets and ICR bits are in arch.h.
 */
#include "lapic.h"
#include "arch.h"
#include "cpu.h"
#include "paging.h"

#define ICR_SPIN_LIMIT 10000000   /* a wedged ICR must not hang the guest */

static volatile uint32_t *apic;

static inline uint32_t rd(uint32_t reg) { return apic[reg / 4]; }
static inline void wr(uint32_t reg, uint32_t v) { apic[reg / 4] = v; }

int lapic_map(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);

    apic = paging_map_mmio(base & APIC_BASE_ADDR_MASK);
    return apic ? 0 : -1;
}

void lapic_enable(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
    wr(APIC_REG_TPR, 0);
    wr(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
    wr(APIC_REG_LVT_ERROR, APIC_LVT_MASKED);
    wr(APIC_REG_SVR, APIC_SVR_ENABLE | VEC_APIC_SPURIOUS);
}

uint32_t lapic_id(void)
{
    return rd(APIC_REG_ID) >> APIC_ID_SHIFT;
}

void lapic_eoi_for(uint64_t vector)
{
    if (apic && vector != VEC_APIC_SPURIOUS)
        wr(APIC_REG_EOI, 0);
}

static int icr_idle(void)
{
    for (unsigned i = 0; i < ICR_SPIN_LIMIT; i++) {
        if (!(rd(APIC_REG_ICR_LO) & APIC_ICR_PENDING))
            return 0;
        cpu_relax();
    }
    return -1;
}

/* Interrupts off: the high half must not be rewritten between the two
   writes by anything this CPU runs. */
static int icr_send(uint32_t apic_id, uint32_t lo)
{
    unsigned long flags = irq_save_flags();
    int r = icr_idle();

    if (r == 0) {
        wr(APIC_REG_ICR_HI, apic_id << APIC_ICR_DEST_SHIFT);
        wr(APIC_REG_ICR_LO, lo);
        r = icr_idle();
    }
    irq_restore_flags(flags);
    return r;
}

int lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    return icr_send(apic_id, APIC_ICR_FIXED | APIC_ICR_ASSERT | vector);
}

int lapic_send_init(uint32_t apic_id)
{
    return icr_send(apic_id, APIC_ICR_INIT | APIC_ICR_ASSERT | APIC_ICR_LEVEL);
}

int lapic_send_sipi(uint32_t apic_id, uint32_t start_page)
{
    return icr_send(apic_id, APIC_ICR_STARTUP | start_page);
}
