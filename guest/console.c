/*
 * A polled 16550 driver, just enough for line output.
 */
#include "console.h"
#include <stdarg.h>
#include "arch.h"
#include "cpu.h"
#include "fmt.h"
#include "pv_abi.h"

#define CONSOLE_LINE_MAX 512
#define THR_POLL_LIMIT 100000 /* a missing UART must not hang the guest */
#define UART_DIVISOR_115200 1

static int console_native;

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
    for (size_t i = 0; i < len; i++)
        put_byte(s[i]);
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
