/*
 * Architectural constants the guest kernel uses (x86_64 control registers,
 * MSRs, page-table bits, legacy I/O ports) and the guest's own fixed layout
 * (selectors, stack size, vectors), each named once. guest/arch.inc mirrors
 * the few that assembly needs; keep the two in step.
 */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

/* Control registers. */
#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)

/* MSRs. */
#define MSR_EFER 0xC0000080u
#define EFER_LME (1u << 8)
#define EFER_SCE (1u << 0)
#define MSR_STAR   0xC0000081u
#define MSR_LSTAR  0xC0000082u
#define MSR_SFMASK 0xC0000084u
#define STAR_SYSCALL_CS_SHIFT 32   /* SYSCALL loads CS from here, SS = CS + 8 */
#define STAR_SYSRET_CS_SHIFT  48   /* 64-bit SYSRET: CS = this + 16, SS = this + 8 */
#define MSR_APIC_BASE 0x1Bu
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0xFFFFFF000ull

/* RFLAGS. */
#define RFLAGS_TF (1ul << 8)
#define RFLAGS_IF (1ul << 9)
#define RFLAGS_RESERVED1 (1ul << 1)

/* Page-table entry bits (4-level paging). */
#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2) /* user mode may access */
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4) /* with PWT: uncached, for device registers */
#define PTE_PS (1ull << 7) /* in a PD entry: maps a 2 MiB page */
#define PAGE_SIZE 4096ull
#define PAGE_2M   (1ull << 21)
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
#define APIC_REG_ID      0x020
#define APIC_REG_TPR     0x080
#define APIC_REG_EOI     0x0B0
#define APIC_REG_SVR     0x0F0
#define APIC_REG_ICR_LO  0x300
#define APIC_REG_ICR_HI  0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_ERROR 0x370
#define APIC_ID_SHIFT    24
#define APIC_SVR_ENABLE  (1u << 8)
#define APIC_LVT_MASKED  (1u << 16)
#define APIC_ICR_FIXED   0x00000u
#define APIC_ICR_INIT    0x00500u
#define APIC_ICR_STARTUP 0x00600u
#define APIC_ICR_PENDING (1u << 12)
#define APIC_ICR_ASSERT  (1u << 14)
#define APIC_ICR_LEVEL   (1u << 15)
#define APIC_ICR_DEST_SHIFT 24
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
