/*
 * Architectural constants only the guest kernel uses (page-table bits,
 * legacy I/O ports, boot protocols; the CR, MSR and xAPIC names it shares
 * with the hypervisor are libpv/pv_x86.h) and the guest's own fixed layout
 * (selectors, stack size, vectors), each named once. guest/arch.inc mirrors
 * the few that assembly needs; keep the two in step.
 */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

#include "pv_x86.h"   /* CR, EFER, MSR, RFLAGS, page and xAPIC names shared with hv */

/* SYSCALL/SYSRET selectors in MSR_STAR. */
#define STAR_SYSCALL_CS_SHIFT 32   /* SYSCALL loads CS from here, SS = CS + 8 */
#define STAR_SYSRET_CS_SHIFT  48   /* 64-bit SYSRET: CS = this + 16, SS = this + 8 */

/* RFLAGS bits only the guest uses (the rest: libpv/pv_x86.h). */

/* Page-table entry bits (4-level paging). */
#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2) /* user mode may access */
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4) /* with PWT: uncached, for device registers */
#define PTE_PS (1ull << 7) /* in a PD entry: maps a 2 MiB page */
#define PT_ENTRIES 512
/* The guest maps RAM with one page directory of 2 MiB pages: 1 GiB. */
#define GUEST_MAP_LIMIT (1ull << 30)

/* The guest's own GDT (guest/gdt.c). */
#define SEL_CODE64 0x08
#define SEL_DATA   0x10

/* Per-vCPU stacks (guest/percpu.c); a vCPU finds its id from its RSP. */
#define GUEST_STACK_SIZE 8192

/* Exceptions and the guest's interrupt vectors. */
#define IDT_VECTORS 256
#define VEC_FIRST_EXTERNAL 32
#define VEC_IPI_CALL 0xF0 /* "call function / ack" IPI of the smp task */
#define VEC_TLB_FLUSH 0xF1 /* remote TLB flush request (guest/tlbflush.c) */
#define VEC_ABI_SELF 0xF2 /* task=abi: a self-IPI across STI; HLT */
#define VEC_APIC_SPURIOUS 0xFF /* native: the local APIC's spurious vector */

/* xAPIC registers (native runs), as byte offsets in its 4 KiB MMIO page. */
#define APIC_MAX_ID      0xFF  /* xAPIC physical destination: 8 bits */

/* Native AP start-up (INIT-SIPI-SIPI) through boot/ap_trampoline.asm, the
   hypervisor's trampoline; its address comes from hv/core/layout.h (see
   guest/smp_native.c). */
#define SIPI_VECTOR_SHIFT  12      /* SIPI vector = start page number */

/* Boot protocols. */
#define MB1_HEADER_MAGIC 0x1BADB002u
#define MB1_BOOT_MAGIC   0x2BADB002u
#define MB1_INFO_MEM     (1u << 0) /* mem_lower/mem_upper valid */
#define MB1_INFO_CMDLINE (1u << 2) /* cmdline valid */

/* 16550 UART registers, as offsets from the port base. */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1
#define UART_DLL 0 /* divisor latch low, with LCR_DLAB */
#define UART_DLH 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LCR_8N1  0x03
#define UART_LCR_DLAB 0x80
#define UART_LSR_THRE 0x20 /* transmit holding register empty */

/* i8254 PIT channel 2 (gated through port 0x61), used natively to calibrate
   the TSC. */
#define PIT_HZ          1193182u
#define PIT_CH2_DATA    0x42
#define PIT_CMD         0x43
#define PIT_CMD_CH2_MODE0_LOHI 0xB0 /* channel 2, lo/hi byte, mode 0, binary */
#define PORT_SYS_CTRL_B 0x61
#define SYS_CTRL_B_GATE2   (1u << 0)
#define SYS_CTRL_B_SPEAKER (1u << 1)
#define SYS_CTRL_B_OUT2    (1u << 5)

/* The legacy 8259 PIC pair (native runs only: firmware leaves IRQ0, the
   timer, on vector 8, which would look like #DF once interrupts are on). */
#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC_ICW4_8086      0x01
#define PIC_CASCADE_IRQ    2
#define PIC_MASK_ALL       0xFF
#define VEC_PIC1_BASE 0x20 /* IRQ 0-7, out of the exception range */
#define VEC_PIC2_BASE 0x28 /* IRQ 8-15 */

/* QEMU's isa-debug-exit (native runs): exit status = (value << 1) | 1. */
#define DEBUG_EXIT_PORT 0xF4
#define DEBUG_EXIT_PASS 0x10 /* QEMU exits 33 */
#define DEBUG_EXIT_FAIL 0x11 /* QEMU exits 35 */
/* Bochs (native runs): writing "Shutdown" to this port ends the emulator. */
#define PORT_BOCHS_SHUTDOWN 0x8900
#define UART_LSR_TEMT 0x40 /* transmitter empty: the last byte is out */

#endif
