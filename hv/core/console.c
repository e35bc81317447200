/*
 * The console every pCPU prints to: whole lines on COM1 under one lock, so
 * output from different pCPUs never interleaves. While VMs run, the lines
 * go into a ring instead and pCPUs with nothing to run print it, a little
 * at a time, as does the end of the run. At 115200 baud a byte takes 87 us
 * (a 4 KiB REPORT 350 ms), and a pCPU that prints, or spins for the lock
 * of one that prints, runs none of its vCPUs: printed at once, the reports
 * of a VM that had finished a task took pCPUs from the VMs still measuring
 * (Bochs, 16 pCPUs x 4x: one TLB shootdown waited 1.2 s). A writer that
 * finds the ring full prints from it itself, as before: nothing is lost.
 */
#include "console.h"

#include "fmt.h"
#include "spinlock.h"

#include <stdarg.h>

#define HV_PRINTF_MAX   4608   /* a full @pvhv record plus its prefix */
#define PRINT_CHUNK     256    /* bytes copied out of the ring per lock hold */

/* console_lock: the UART, and so the order of what reaches it; ring_lock:
   the ring. Order: console_lock, then ring_lock. */
static spinlock_t console_lock = SPINLOCK_INIT;
static spinlock_t ring_lock = SPINLOCK_INIT;
static char *ring;
static uint64_t ring_size;
static uint64_t ring_head, ring_tail;   /* bytes ever queued, ever printed */
static int deferring;                   /* under ring_lock */
static struct console_stats stats;      /* under ring_lock, idle_printed under console_lock */

/* Copy up to n bytes from the tail of the ring; ring_lock held. */
static uint64_t ring_take(char *out, uint64_t n)
{
    uint64_t have = ring_head - ring_tail;
    if (n > have)
        n = have;
    for (uint64_t i = 0; i < n; i++)
        out[i] = ring[(ring_tail + i) % ring_size];
    ring_tail += n;
    return n;
}

/* Print up to max bytes of the ring, in order; console_lock held. */
static uint64_t print_ring_locked(uint64_t max)
{
    char chunk[PRINT_CHUNK];
    uint64_t done = 0;

    while (done < max) {
        uint64_t want = max - done < sizeof(chunk) ? max - done : sizeof(chunk);
        spin_lock(&ring_lock);
        uint64_t n = ring ? ring_take(chunk, want) : 0;
        spin_unlock(&ring_lock);
        if (!n)
            break;
        console_write_unlocked(chunk, (size_t)n);
        done += n;
    }
    return done;
}

static void write_any(const char *s, size_t len)
{
    spin_lock(&ring_lock);
    if (deferring && len > ring_size) {
        /* Larger than the ring: what is queued first, then this. */
        spin_unlock(&ring_lock);
        spin_lock(&console_lock);
        while (print_ring_locked(PRINT_CHUNK))
            ;
        console_write_unlocked(s, len);
        spin_unlock(&console_lock);
        return;
    }
    while (deferring && ring_size - (ring_head - ring_tail) < len) {
        /* Full: make room by printing, as an undeferred write would. */
        stats.full_waits++;
        spin_unlock(&ring_lock);
        spin_lock(&console_lock);
        print_ring_locked(len);
        spin_unlock(&console_lock);
        spin_lock(&ring_lock);
    }
    if (deferring) {
        for (size_t i = 0; i < len; i++)
            ring[(ring_head + i) % ring_size] = s[i];
        ring_head += len;
        stats.queued += len;
        if (ring_head - ring_tail > stats.max_queued)
            stats.max_queued = ring_head - ring_tail;
        spin_unlock(&ring_lock);
        return;
    }
    spin_unlock(&ring_lock);
    /* console_defer_end flips deferring with console_lock held and prints
       the rest before it lets go: this write comes after all of it. */
    spin_lock(&console_lock);
    console_write_unlocked(s, len);
    spin_unlock(&console_lock);
}

void console_write(const char *s, size_t len)
{
    uint64_t flags = irq_save();
    write_any(s, len);
    irq_restore(flags);
}

void console_write_irqs_on(const char *s, size_t len) { write_any(s, len); }

void console_defer_begin(void *buf, size_t size)
{
    if (!buf || size < HV_PRINTF_MAX)
        return;
    uint64_t flags = spin_lock_irqsave(&ring_lock);
    ring = buf;
    ring_size = size;
    ring_head = ring_tail = 0;
    deferring = 1;
    stats = (struct console_stats){ .ring_bytes = size };
    spin_unlock_irqrestore(&ring_lock, flags);
}

int console_print_some(void)
{
    uint64_t flags = irq_save();
    uint64_t n = 0;
    if (spin_trylock(&console_lock)) {
        n = print_ring_locked(CONSOLE_IDLE_CHUNK);
        stats.idle_printed += n;
        spin_unlock(&console_lock);
    }
    irq_restore(flags);
    return n > 0;
}

int console_pending(void)
{
    return __atomic_load_n(&ring_head, __ATOMIC_RELAXED) !=
           __atomic_load_n(&ring_tail, __ATOMIC_RELAXED);
}

void console_defer_end(void)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    spin_lock(&ring_lock);
    deferring = 0;
    spin_unlock(&ring_lock);
    while (print_ring_locked(PRINT_CHUNK))
        ;
    spin_unlock_irqrestore(&console_lock, flags);
}

void console_get_stats(struct console_stats *out)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    spin_lock(&ring_lock);
    *out = stats;
    out->printed = ring_tail;
    spin_unlock(&ring_lock);
    spin_unlock_irqrestore(&console_lock, flags);
}

void console_break_lock(void)
{
    console_lock.head = console_lock.tail;
    ring_lock.head = ring_lock.tail;
    /* A panic prints what was queued first, then its own lines directly. */
    deferring = 0;
    if (ring) {
        char chunk[PRINT_CHUNK];
        uint64_t n;
        while ((n = ring_take(chunk, sizeof(chunk))))
            console_write_unlocked(chunk, (size_t)n);
    }
}

void hv_printf(const char *fmt, ...)
{
    char buf[HV_PRINTF_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = pv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf)) {
        /* Keep the line whole: mark the cut instead of losing the newline. */
        const char cut[] = "...[cut]\n";
        n = (int)sizeof(buf) - 1;
        for (size_t i = 0; i < sizeof(cut) - 1; i++)
            buf[n - (int)(sizeof(cut) - 1) + (int)i] = cut[i];
    }
    console_write(buf, (size_t)n);
}
