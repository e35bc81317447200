/*
 * Builds the host IDT and routes vectors: exceptions panic, the slice timer
 * and wake-up IPIs only set flags (all real work happens in the scheduler
 * loop, never in interrupt context).
 */
#include "idt.h"

#include "layout.h"
#include "lapic.h"
#include "nmi.h"
#include "panic.h"
#include "percpu.h"
#include "x86.h"

#define IDT_ENTRIES     256
#define IDT_TYPE_INTR   0x8E   /* present, DPL 0, 64-bit interrupt gate */
#define PIC1_DATA       0x21
#define PIC2_DATA       0xA1
#define PIC_MASK_ALL    0xFF

struct idt_entry {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_entry) == 16, "IDT gate is 16 bytes");

static struct idt_entry idt[IDT_ENTRIES] __attribute__((aligned(16)));
extern const uint64_t isr_stub_table[IDT_ENTRIES];

void idt_init(void)
{
    for (int v = 0; v < IDT_ENTRIES; v++) {
        uint64_t a = isr_stub_table[v];
        idt[v] = (struct idt_entry){
            .offset_lo = (uint16_t)a,
            .selector = SEL_CODE64,
            .type = IDT_TYPE_INTR,
            .offset_mid = (uint16_t)(a >> 16),
            .offset_hi = (uint32_t)(a >> 32),
        };
    }
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(ptr));
}

void pic_disable(void)
{
    /* The legacy PIC would deliver the PIT on vector 8 (#DF) otherwise. */
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
}

static void count_leaked_db(void)
{
    uint32_t id = lapic_id();

    for (unsigned i = 0; i < nr_pcpus; i++)
        if (percpus[i].apic_id == id)
            __atomic_add_fetch(&percpus[i].leaked_db, 1, __ATOMIC_RELAXED);
}

void isr_dispatch(struct trap_frame *f)
{
    struct percpu *cpu = this_cpu();

    switch (f->vector) {
    case VEC_TIMER:
        cpu->timer_irqs++;
        cpu->need_resched = 1;
        lapic_eoi();
        return;
    case VEC_WAKE:
        cpu->wake_irqs++;
        lapic_eoi();
        return;
    case VEC_STOP:
        for (;;)
            __asm__ volatile("cli; hlt");
    case VEC_SPURIOUS:
        return;
    case VEC_NMI:
        nmi_taken();     /* no EOI: NMIs are not acknowledged at the LAPIC */
        return;
    case X86_EXC_DB:
        /* pvhv never single-steps itself, so a single-step trap while the
           hypervisor ran with TF clear is a guest's: Bochs' AMD models
           deliver the trap of a guest that re-entered with TF set after
           an emulated instruction on the host, after the next #VMEXIT.
           It is the guest's to lose, not a reason to stop the machine;
           anything else is still a panic. It arrives before the host's
           GS base is back (VMLOAD), so this pCPU is found by APIC ID. */
        if (!(f->rflags & RFLAGS_TF) && (read_dr6() & DR6_BS)) {
            write_dr6(DR6_FIXED_1);
            count_leaked_db();
            return;
        }
        break;
    default:
        break;
    }
    if (f->vector < VEC_EXCEPTIONS)
        panic_exception(f);
    /* An unexpected device vector: acknowledge it and go on. */
    lapic_eoi();
}
