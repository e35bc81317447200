/*
 * IDT gates and the C side of interrupt dispatch.
 */
#include "idt.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "lapic.h"
#include "percpu.h"

#define GATE_INTERRUPT 0x8E /* present, DPL0, 64-bit interrupt gate: IF=0 */

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");

struct __attribute__((packed)) idt_ptr {
    uint16_t limit;
    uint64_t base;
};

extern const uint64_t isr_stub_table[IDT_VECTORS];

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static irq_handler_t handlers[IDT_VECTORS];
static uint64_t spurious;

static const char *const exception_names[VEC_FIRST_EXTERNAL] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
    "#OF overflow", "#BR bound range", "#UD invalid opcode",
    "#NM device not available", "#DF double fault", "coprocessor overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault",
    "#GP general protection", "#PF page fault", "reserved 15",
    "#MF x87 error", "#AC alignment check", "#MC machine check",
    "#XM SIMD error", "#VE virtualization", "#CP control protection",
    "reserved 22", "reserved 23", "reserved 24", "reserved 25",
    "reserved 26", "reserved 27", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security", "reserved 31",
};

void idt_init(void)
{
    for (unsigned v = 0; v < IDT_VECTORS; v++) {
        uint64_t off = isr_stub_table[v];
        idt[v] = (struct idt_gate){
            .offset_lo = (uint16_t)off,
            .selector = SEL_CODE64,
            .ist = 0,
            .type_attr = GATE_INTERRUPT,
            .offset_mid = (uint16_t)(off >> 16),
            .offset_hi = (uint32_t)(off >> 32),
        };
    }
}

void idt_load(void)
{
    struct idt_ptr p = { .limit = sizeof(idt) - 1, .base = (uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

void idt_load_empty(void)
{
    struct idt_ptr p = { .limit = 0, .base = 0 };
    __asm__ volatile("lidt %0" : : "m"(p));
}

void idt_set_handler(unsigned vector, irq_handler_t fn)
{
    if (vector >= VEC_FIRST_EXTERNAL && vector < IDT_VECTORS)
        handlers[vector] = fn;
}

uint64_t idt_spurious_count(void)
{
    return __atomic_load_n(&spurious, __ATOMIC_RELAXED);
}

/* An exception in this kernel is always a bug (or the hypervisor broke an
   invariant): say exactly where, then end the VM as failed. */
static void exception(const struct isr_frame *f)
{
    kprintf("vcpu %u: exception %lu (%s) err=0x%lx rip=0x%lx rsp=0x%lx "
            "rflags=0x%lx cr2=0x%lx\n",
            this_cpu(), f->vector, exception_names[f->vector], f->error,
            f->rip, f->rsp, f->rflags, read_cr2());
    kprintf("  rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx rsi=0x%lx rdi=0x%lx "
            "rbp=0x%lx\n",
            f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp);
    guest_fail(FAIL_EXCEPTION, "unexpected exception");
}

/* One armed "expected fault" for the hostile-input checks (task_abi.c). */
static volatile int fixup_vector = -1;
static volatile uint64_t fixup_skip;
static volatile int fixup_hit;
static volatile uint64_t fixup_rip;

void idt_expect_fault(int vector, unsigned insn_len)
{
    fixup_hit = 0;
    fixup_skip = insn_len;
    __atomic_store_n(&fixup_vector, vector, __ATOMIC_SEQ_CST);
}

int idt_fault_seen(void)
{
    fixup_vector = -1;
    return fixup_hit;
}

uint64_t idt_fault_rip(void) { return fixup_rip; }

/*
 * The fuzzer's catch (task=fuzz): while armed, any exception but NMI, #DF
 * and #MC resumes at idt_catch_resume, an address the fuzzing code stores
 * right before the instruction it tries (a label in the same asm block).
 * A resume point that faults again and again ends the VM instead of
 * looping: the fuzzer's own bug.
 */
#define EXC_NMI 2
#define EXC_DF 8
#define EXC_MC 18
#define CATCH_MAX_REPEATS 8
volatile uintptr_t idt_catch_resume;
static volatile int catch_armed;
static struct idt_catch caught;

void idt_catch_arm(void)
{
    caught = (struct idt_catch){ .vector = -1 };
    __atomic_store_n(&catch_armed, 1, __ATOMIC_SEQ_CST);
}

struct idt_catch idt_catch_disarm(void)
{
    __atomic_store_n(&catch_armed, 0, __ATOMIC_SEQ_CST);
    return caught;
}

static int catch_exception(struct isr_frame *f)
{
    if (!catch_armed || f->vector >= VEC_FIRST_EXTERNAL || f->vector == EXC_NMI ||
        f->vector == EXC_DF || f->vector == EXC_MC)
        return 0;
    if (++caught.count > CATCH_MAX_REPEATS) {
        catch_armed = 0;
        kprintf("vcpu %u: fuzz: the resume point 0x%lx faulted %u times\n", this_cpu(),
                (uint64_t)idt_catch_resume, CATCH_MAX_REPEATS);
        exception(f);
        return 1;
    }
    caught.vector = (int)f->vector;
    caught.error = f->error;
    caught.rip = f->rip;
    caught.cr2 = read_cr2();
    f->rip = idt_catch_resume;
    f->rflags &= ~RFLAGS_TF;    /* a single-step the fuzzer set ends here */
    return 1;
}

void isr_dispatch(struct isr_frame *f)
{
    if (catch_exception(f))
        return;
    if ((int)f->vector == fixup_vector) {
        fixup_rip = f->rip;
        f->rip += fixup_skip;
        f->rflags &= ~RFLAGS_TF;    /* an expected single-step #DB: one step */
        fixup_hit = 1;
        fixup_vector = -1;
        return;
    }
    if (f->vector < VEC_FIRST_EXTERNAL) {
        exception(f);
        return;
    }
    if (f->vector < IDT_VECTORS && handlers[f->vector])
        handlers[f->vector](f);
    else if (__atomic_fetch_add(&spurious, 1, __ATOMIC_RELAXED) == 0)
        kprintf("vcpu %u: spurious interrupt on vector %lu (further ones "
                "only counted)\n", this_cpu(), f->vector);
    /* Natively the local APIC delivered it and waits for the EOI; pvhv
       injects events with no APIC to acknowledge (lapic_eoi_for: no-op). */
    lapic_eoi_for(f->vector);
}
