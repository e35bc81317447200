/*
 * xAPIC driver. The register block is identity-mapped by the boot page
 * tables, so it is accessed at its physical address.
 */
#include "lapic.h"

#include "idt.h"
#include "time.h"
#include "x86.h"

#define APIC_REG_LVT_LINT0   0x350
#define APIC_REG_LVT_LINT1   0x360
#define APIC_REG_TIMER_INIT  0x380
#define APIC_REG_TIMER_CUR   0x390
#define APIC_REG_TIMER_DIV   0x3E0
#define APIC_TIMER_DIV_1     0xB
#define APIC_ICR_NMI         0x00400u
#define APIC_ICR_ALL_BUT_SELF (3u << 18)
#define CALIBRATE_US         10000
#define ICR_SPIN_LIMIT       10000000

static volatile uint32_t *apic;
static uint64_t timer_ticks_per_ms;

static inline uint32_t rd(uint32_t reg) { return apic[reg / 4]; }
static inline void wr(uint32_t reg, uint32_t v) { apic[reg / 4] = v; }

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    apic = (volatile uint32_t *)(uintptr_t)(base & APIC_BASE_ADDR_MASK);
    wr(APIC_REG_TPR, 0);
    wr(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
    wr(APIC_REG_LVT_LINT0, APIC_LVT_MASKED);
    wr(APIC_REG_LVT_LINT1, APIC_LVT_MASKED);
    wr(APIC_REG_LVT_ERROR, APIC_LVT_MASKED);
    wr(APIC_REG_TIMER_DIV, APIC_TIMER_DIV_1);
    wr(APIC_REG_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
}

uint32_t lapic_id(void) { return rd(APIC_REG_ID) >> APIC_ID_SHIFT; }

void lapic_eoi(void) { wr(APIC_REG_EOI, 0); }

static void icr_wait(void)
{
    for (int i = 0; i < ICR_SPIN_LIMIT && (rd(APIC_REG_ICR_LO) & APIC_ICR_PENDING); i++)
        cpu_relax();
}

static void icr_send(uint32_t apic_id, uint32_t lo)
{
    uint64_t flags = read_rflags();
    irq_disable();
    icr_wait();
    wr(APIC_REG_ICR_HI, apic_id << APIC_ICR_DEST_SHIFT);
    wr(APIC_REG_ICR_LO, lo);
    icr_wait();
    if (flags & RFLAGS_IF)
        irq_enable();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    icr_send(apic_id, APIC_ICR_FIXED | APIC_ICR_ASSERT | vector);
}

void lapic_broadcast_others(uint8_t vector)
{
    if (apic)
        icr_send(0, APIC_ICR_FIXED | APIC_ICR_ASSERT | APIC_ICR_ALL_BUT_SELF | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
    icr_send(apic_id, APIC_ICR_NMI | APIC_ICR_ASSERT);
}

void lapic_send_init(uint32_t apic_id)
{
    icr_send(apic_id, APIC_ICR_INIT | APIC_ICR_ASSERT | APIC_ICR_LEVEL);
}

void lapic_send_sipi(uint32_t apic_id, uint32_t start_page)
{
    icr_send(apic_id, APIC_ICR_STARTUP | start_page);
}

void lapic_timer_calibrate(void)
{
    wr(APIC_REG_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
    wr(APIC_REG_TIMER_INIT, 0xFFFFFFFFu);
    udelay(CALIBRATE_US);
    uint32_t elapsed = 0xFFFFFFFFu - rd(APIC_REG_TIMER_CUR);
    wr(APIC_REG_TIMER_INIT, 0);
    timer_ticks_per_ms = (uint64_t)elapsed * 1000 / CALIBRATE_US;
    if (!timer_ticks_per_ms)
        timer_ticks_per_ms = 1;
}

void lapic_timer_oneshot_us(uint64_t us)
{
    uint64_t ticks = timer_ticks_per_ms * us / 1000;
    if (ticks == 0)
        ticks = 1;
    if (ticks > 0xFFFFFFFFull)
        ticks = 0xFFFFFFFFull;
    wr(APIC_REG_LVT_TIMER, VEC_TIMER);
    wr(APIC_REG_TIMER_INIT, (uint32_t)ticks);
}

void lapic_timer_stop(void) { wr(APIC_REG_TIMER_INIT, 0); }
