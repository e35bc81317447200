/*
 * Port I/O from guests. Only the guest's COM1 is emulated (enough of a
 * 16550 for a polling driver); bytes are gathered per vCPU and printed as
 * whole "[vmX.vcpuY] ..." lines, with interrupts on (a line is up to 200
 * bytes, ~17 ms at 115200 baud), and only the first console_budget= bytes
 * of each VM, its REPORT records included (the rest are counted in the vm
 * record's console_dropped, so no VM can keep the serial line, and the
 * pCPUs waiting for it, busy). Every other port reads as all ones and
 * ignores writes: a guest must never reach a host device (the isa-debug-exit
 * port would end the whole run).
 */
#include "exit.h"
#include "io.h"

#include "pv_abi.h"
#include "vcpu.h"
#include "vm.h"
#include "fmt.h"
#include "../core/console.h"

#define UART_THR        0
#define UART_LCR        3
#define UART_LSR        5
#define UART_LCR_DLAB   0x80
#define UART_LSR_IDLE   0x60   /* THR empty, transmitter empty */

static void flush_line(struct vcpu *v)
{
    char buf[VCPU_CONSOLE_LINE + 32];
    v->line[v->line_len] = '\0';
    int n = pv_snprintf(buf, sizeof(buf), "[vm%u.vcpu%u] %s\n", v->vm->id, v->id, v->line);
    console_write_irqs_on(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    v->line_len = 0;
}

int console_take(struct vcpu *v, uint64_t n)
{
    struct vm *vm = v->vm;
    uint64_t used = __atomic_fetch_add(&vm->console_used, n, __ATOMIC_RELAXED);
    if (used + n <= vm->console_budget)
        return 1;
    __atomic_fetch_add(&vm->console_dropped, n, __ATOMIC_RELAXED);
    /* The one take whose bytes cross the budget says so. */
    if (used <= vm->console_budget) {
        if (v->line_len)
            flush_line(v);
        hv_printf("pvhv: vm%u spent its console_budget of %lu bytes; further guest text "
                  "and reports are dropped and counted (vm record console_dropped, "
                  "reports_dropped)\n", vm->id, vm->console_budget);
    }
    return 0;
}

void console_guest_byte(struct vcpu *v, char c)
{
    if (c == '\r' || !console_take(v, 1))
        return;
    if (c == '\n') {
        flush_line(v);
        return;
    }
    /* Keep the console readable: show control bytes as '?'. */
    v->line[v->line_len++] = (c < 0x20 || c > 0x7E) ? '?' : c;
    if (v->line_len == VCPU_CONSOLE_LINE)
        flush_line(v);
}

enum exit_action handle_io(struct vcpu *v, struct vexit *e)
{
    uint64_t mask = e->io_size >= 4 ? 0xFFFFFFFFull : (1ull << (8 * e->io_size)) - 1;

    if (e->io_string)
        return kill_vm(v, "string or REP port I/O is not supported");
    vcpu_skip_insn(v, e);
    if (e->port < PV_GUEST_COM1 || e->port >= PV_GUEST_COM1 + PV_GUEST_COM1_PORTS) {
        v->stats.io_ignored++;
        if (e->io_in)
            v->regs.rax = (v->regs.rax & ~mask) | mask;
        return ACT_CONTINUE;
    }
    unsigned reg = e->port - PV_GUEST_COM1;
    if (e->io_in) {
        uint64_t val = 0;
        if (reg == UART_LSR)
            val = UART_LSR_IDLE;
        else if (reg == UART_LCR)
            val = v->uart_lcr;
        v->regs.rax = (v->regs.rax & ~mask) | (val & mask);
        return ACT_CONTINUE;
    }
    uint8_t byte = (uint8_t)v->regs.rax;
    if (reg == UART_LCR)
        v->uart_lcr = byte;
    else if (reg == UART_THR && !(v->uart_lcr & UART_LCR_DLAB))
        console_guest_byte(v, (char)byte);
    return ACT_CONTINUE;
}
