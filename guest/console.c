/*
 * A polled 16550 driver, just enough for line output, and the lock that
 * keeps a native run's lines whole.
 */
#include "console.h"
#include <stdarg.h>
#include "arch.h"
#include "cpu.h"
#include "percpu.h"
#include "fmt.h"
#include "pv_abi.h"

#define CONSOLE_LINE_MAX 512
#define THR_POLL_LIMIT 100000 /* a missing UART must not hang the guest */
#define UART_DIVISOR_115200 1

static int console_native;
static int lock_owner = -1;         /* CPU holding the console natively */
static unsigned lock_depth;

/* Recursive so that a failure report from inside a print (an exception,
   say) still gets out on the same CPU. */
unsigned long console_lock(void)
{
    unsigned long flags;
    int me, free_ = -1;

    if (!console_native)
        return 0;
    flags = irq_save_flags();
    me = (int)this_cpu();
    if (__atomic_load_n(&lock_owner, __ATOMIC_ACQUIRE) == me) {
        lock_depth++;
        return flags;
    }
    while (!__atomic_compare_exchange_n(&lock_owner, &free_, me, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        free_ = -1;
        cpu_relax();
    }
    lock_depth = 1;
    return flags;
}

void console_unlock(unsigned long flags)
{
    if (!console_native)
        return;
    if (--lock_depth == 0)
        __atomic_store_n(&lock_owner, -1, __ATOMIC_RELEASE);
    irq_restore_flags(flags);
}

void console_drain(void)
{
    if (!console_native)
        return;
    for (unsigned i = 0; i < THR_POLL_LIMIT; i++)
        if (inb(PV_GUEST_COM1 + UART_LSR) & UART_LSR_TEMT)
            return;
}

void console_init(int native)
{
    console_native = native;
    if (!native)
        return;
    outb(PV_GUEST_COM1 + UART_IER, 0);
    outb(PV_GUEST_COM1 + UART_LCR, UART_LCR_DLAB);
    outb(PV_GUEST_COM1 + UART_DLL, UART_DIVISOR_115200);
    outb(PV_GUEST_COM1 + UART_DLH, 0);
    outb(PV_GUEST_COM1 + UART_LCR, UART_LCR_8N1);
    outb(PV_GUEST_COM1 + UART_FCR, 0);
    outb(PV_GUEST_COM1 + UART_MCR, 0);
}

static void put_byte(char c)
{
    if (console_native) {
        for (unsigned i = 0; i < THR_POLL_LIMIT; i++)
            if (inb(PV_GUEST_COM1 + UART_LSR) & UART_LSR_THRE)
                break;
    }
    outb(PV_GUEST_COM1 + UART_THR, (uint8_t)c);
}

void console_write(const char *s, size_t len)
{
    unsigned long f = console_lock();

    for (size_t i = 0; i < len; i++)
        put_byte(s[i]);
    console_unlock(f);
}

void kprintf(const char *fmt, ...)
{
    char buf[CONSOLE_LINE_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = pv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf)) {
        /* Truncated: keep the line a line. */
        n = sizeof(buf) - 1;
        buf[n - 1] = '\n';
    }
    console_write(buf, (size_t)n);
}
