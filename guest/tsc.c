/*
 * PIT-based TSC calibration for native runs, and ms -> cycles conversion.
 */
#include "tsc.h"
#include "arch.h"
#include "cpu.h"
#include "env.h"

#define CALIBRATE_MS 50
#define PIT_TICKS (PIT_HZ * CALIBRATE_MS / 1000) /* fits the 16-bit counter */
#define PIT_SPIN_LIMIT 100000000ull              /* no PIT: give up */

uint64_t tsc_calibrate_pit(void)
{
    uint8_t ctrl = inb(PORT_SYS_CTRL_B);
    uint64_t t0, t1, spins = 0;

    /* Gate channel 2 on, speaker off; mode 0 counts down once, then OUT2
       goes high. */
    outb(PORT_SYS_CTRL_B, (ctrl & ~SYS_CTRL_B_SPEAKER) | SYS_CTRL_B_GATE2);
    outb(PIT_CMD, PIT_CMD_CH2_MODE0_LOHI);
    outb(PIT_CH2_DATA, PIT_TICKS & 0xFF);
    outb(PIT_CH2_DATA, PIT_TICKS >> 8);
    t0 = rdtsc();
    while (!(inb(PORT_SYS_CTRL_B) & SYS_CTRL_B_OUT2))
        if (++spins > PIT_SPIN_LIMIT)
            return 0;
    t1 = rdtsc();
    outb(PORT_SYS_CTRL_B, ctrl);
    return (t1 - t0) * (1000 / CALIBRATE_MS);
}

uint64_t tsc_ms_to_cycles(uint64_t ms)
{
    return muldiv64(ms, env.bi->tsc_hz, 1000);
}
