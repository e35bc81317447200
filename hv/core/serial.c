/*
 * COM1 driver and the locked console. Output is polled (no interrupts) so it
 * works from any context, including exception handlers before the IDT is
 * fully set up. COM2 carries only the verdict (the end record): guests reach
 * no host port (all guest port I/O is intercepted), so a verdict read from
 * COM2 is one no guest can have written (issue 13 item 5; Bochs, whose exit
 * status means nothing, is judged by it). The verdict also goes out on the
 * first parallel port, which guests cannot reach either: Bochs 2.7 has room
 * for 64 timers, each CPU takes 3 and each serial port 3, so at 16 CPUs
 * there is no room for COM2 and pvhv_run reads the verdict from LPT1 (a
 * port without timers) instead.
 */
#include "console.h"

#include "fmt.h"
#include "spinlock.h"
#include "x86.h"

#include <stdarg.h>

#define COM1            0x3F8
#define COM2            0x2F8
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
#define LPT1            0x378
#define LPT_DATA        0
#define LPT_CONTROL     2
#define LPT_CTRL_STROBE 0x01   /* 0 -> 1 latches the data byte */
#define LPT_CTRL_INIT   0x04   /* not in reset (active low) */
#define LPT_CTRL_SELECT 0x08
#define HV_PRINTF_MAX   4608   /* a full @pvhv record plus its prefix */

static spinlock_t console_lock = SPINLOCK_INIT;

static void uart_init(uint16_t port)
{
    outb(port + UART_IER, 0);
    outb(port + UART_LCR, UART_LCR_DLAB);
    outb(port + UART_DLL, UART_DIVISOR_115200);
    outb(port + UART_DLM, 0);
    outb(port + UART_LCR, UART_LCR_8N1);
    outb(port + UART_FCR, UART_FCR_ENABLE);
    outb(port + UART_MCR, UART_MCR_DTR_RTS);
}

void serial_init(void)
{
    uart_init(COM1);
    uart_init(COM2);   /* absent (QEMU without -serial for it): writes vanish */
}

static void uart_putc(uint16_t port, char c)
{
    /* Bounded: a missing UART must not hang the hypervisor. */
    for (int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(port + UART_LSR) & UART_LSR_THRE)
            break;
    outb(port + UART_THR, (uint8_t)c);
}

static void serial_putc(char c) { uart_putc(COM1, c); }

static void lpt_putc(char c)
{
    outb(LPT1 + LPT_DATA, (uint8_t)c);
    outb(LPT1 + LPT_CONTROL, LPT_CTRL_SELECT | LPT_CTRL_INIT | LPT_CTRL_STROBE);
    outb(LPT1 + LPT_CONTROL, LPT_CTRL_SELECT | LPT_CTRL_INIT);
}

void serial_verdict(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uart_putc(COM2, s[i]);
        lpt_putc(s[i]);
    }
    for (int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(COM2 + UART_LSR) & UART_LSR_TEMT)
            return;
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

void console_write_irqs_on(const char *s, size_t len)
{
    spin_lock(&console_lock);
    console_write_unlocked(s, len);
    spin_unlock(&console_lock);
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
