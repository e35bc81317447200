/*
 * The hypervisor's serial console on COM1. Every call prints whole lines
 * under one lock, so output from different pCPUs never interleaves; while
 * VMs run, in the order the calls were made, a little later (console.c).
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void serial_init(void);
void console_write(const char *s, size_t len);   /* one locked write */
/* The same with interrupts left on (the caller's IF=1; no interrupt
   handler prints): for guest text, so no pCPU serves a VM's output with
   interrupts off. */
void console_write_irqs_on(const char *s, size_t len);
void hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While VMs run, output waits in buf (console.c says why) and is printed by
   pCPUs with nothing to run (console_print_some) and by console_defer_end,
   which prints the rest and goes back to printing at once. Without a
   buffer (buf 0) output is printed at once throughout. */
void console_defer_begin(void *buf, size_t size);
void console_defer_end(void);
#define CONSOLE_IDLE_CHUNK 32   /* bytes per console_print_some: 2.8 ms at 115200 baud */
/* Prints up to CONSOLE_IDLE_CHUNK queued bytes unless another pCPU is
   printing; 1 if it printed any. */
int console_print_some(void);
int console_pending(void);
struct console_stats {
    uint64_t ring_bytes;     /* 0: no ring, everything printed at once */
    uint64_t queued;         /* bytes that went through the ring */
    uint64_t printed;        /* of those, printed (all of them after the end) */
    uint64_t idle_printed;   /* of those, by pCPUs with nothing to run */
    uint64_t max_queued;     /* the most waiting at one time */
    uint64_t full_waits;     /* writes that found the ring full and printed */
};
void console_get_stats(struct console_stats *out);
/* Lock-free output for panic paths (may interleave, never deadlocks). */
void console_write_unlocked(const char *s, size_t len);
void console_break_lock(void);
/* Waits (bounded) until COM1 has sent everything: an emulator that stops
   at once on the exit port would otherwise lose the last bytes. */
void serial_drain(void);
/* The verdict line on COM2 and LPT1, ports no guest can reach (serial.c). */
void serial_verdict(const char *s, size_t len);

#endif
