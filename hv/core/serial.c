/*
 * COM1 driver and the locked console. Output is polled (no interrupts) so it
 * works from any context, including exception handlers before the IDT is
 * fully set up.
 */
#include "console.h"

#include "fmt.h"
#include "spinlock.h"
#include "x86.h"

#include <stdarg.h>

#define COM1            0x3F8
#define UART_THR        0
#define UART_IER        1
#define UART_FCR        2
#define UART_LCR        3
#define UART_MCR        4
#define UART_LSR        5
#define UART_DLL        0
#define UART_DLM        1
#define UART_LCR_DLAB   0x80
#define UART_LCR_8N1    0x03
#define UART_FCR_ENABLE 0x07
#define UART_MCR_DTR_RTS 0x03
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40   /* transmitter empty: the last bit is out */
#define UART_DIVISOR_115200 1
#define UART_SPIN_LIMIT 100000
#define HV_PRINTF_MAX   4608   /* a full @pvhv record plus its prefix */

static spinlock_t console_lock = SPINLOCK_INIT;

void serial_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, UART_LCR_DLAB);
    outb(COM1 + UART_DLL, UART_DIVISOR_115200);
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, UART_LCR_8N1);
    outb(COM1 + UART_FCR, UART_FCR_ENABLE);
    outb(COM1 + UART_MCR, UART_MCR_DTR_RTS);
}

static void serial_putc(char c)
{
    /* Bounded: a missing UART must not hang the hypervisor. */
    for (int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
            break;
    outb(COM1 + UART_THR, (uint8_t)c);
}

void console_write_unlocked(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

void console_write(const char *s, size_t len)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    console_write_unlocked(s, len);
    spin_unlock_irqrestore(&console_lock, flags);
}

void serial_drain(void)
{
    for (int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(COM1 + UART_LSR) & UART_LSR_TEMT)
            return;
}

void console_break_lock(void)
{
    console_lock.head = console_lock.tail;
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
