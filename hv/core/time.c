/*
 * TSC calibration with PIT channel 2 (gated through port 0x61, no interrupts
 * needed) and conversions that avoid 128-bit division (no libgcc here).
 */
#include "time.h"

#include "x86.h"

#define PIT_HZ              1193182ull
#define PIT_CALIBRATE_MS    20
#define PIT_CH2_MODE0_LOHI  0xB0
#define PIT_GATE_ON         0x01
#define PIT_SPEAKER_OFF     0x02
#define PIT_OUT2            0x20
#define PIT_SPIN_LIMIT      100000000ull
#define NS_PER_SEC          1000000000ull
#define FALLBACK_TSC_HZ     1000000000ull

uint64_t tsc_hz = FALLBACK_TSC_HZ;

void tsc_calibrate(void)
{
    uint16_t count = (uint16_t)(PIT_HZ * PIT_CALIBRATE_MS / 1000);
    uint8_t gate = inb(PORT_PIT_GATE);

    outb(PORT_PIT_GATE, (uint8_t)((gate & ~PIT_SPEAKER_OFF) | PIT_GATE_ON));
    outb(PORT_PIT_CMD, PIT_CH2_MODE0_LOHI);
    outb(PORT_PIT_CH2, (uint8_t)count);
    outb(PORT_PIT_CH2, (uint8_t)(count >> 8));
    uint64_t start = rdtsc();
    uint64_t spins = 0;
    while (!(inb(PORT_PIT_GATE) & PIT_OUT2) && ++spins < PIT_SPIN_LIMIT)
        ;
    uint64_t end = rdtsc();
    outb(PORT_PIT_GATE, gate);
    if (spins < PIT_SPIN_LIMIT && end > start)
        tsc_hz = (end - start) * 1000 / PIT_CALIBRATE_MS;
}

void tsc_set_hz(uint64_t hz)
{
    tsc_hz = hz;
}

static uint64_t scale(uint64_t v, uint64_t mul, uint64_t div)
{
    return v / div * mul + v % div * mul / div;
}

uint64_t cycles_to_ns(uint64_t cycles) { return scale(cycles, NS_PER_SEC, tsc_hz); }
uint64_t ns_to_cycles(uint64_t ns) { return scale(ns, tsc_hz, NS_PER_SEC); }

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + ns_to_cycles(us * 1000);
    while (rdtsc() < end)
        cpu_relax();
}
