/*
 * The SVM backend's completion of an HLT left in an STI shadow
 * (hv/svm/vmcb.c svm_complete_shadowed_hlt, stat shadowed_hlts), on the
 * host: the real VMCB code and guest page walk (hv/virt/gva.c) over a fake
 * guest RAM. On QEMU TCG the path runs in every `sti; hlt` idle loop, but
 * no boot shows it is right (Bochs and hardware honour the shadow, so a
 * wrong completion hides there); this test fails when it completes a HLT it
 * must not, or completes one without stepping over it (mutant
 * shadow_hlt_no_skip).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/x86.h"
#include "svm/svm.h"
#include "virt/gva.h"
#include "virt/vcpu.h"
#include "virt/virt.h"
#include "virt/vm.h"

#include "fake_guest.h"

#define PML4_GPA      0x1000u
#define PDPT_GPA      0x2000u
#define CODE_GPA      0x3000u         /* where the guest's `sti; hlt` sits */
#define CS_BASE_32    CODE_GPA        /* a 32-bit code segment based at the code */
#define PTE_P_RW      0x3ull
#define PTE_PS        (1ull << 7)     /* 1 GiB page at the PDPT level */
#define OPCODE_STI    0xFB
#define OPCODE_NOP    0x90
#define VECTOR_DUMMY  0x30            /* an event already being injected */

static struct svm_vcpu *sv;

/* --- what vmcb.c and gva.c link against -------------------------------- */

uint32_t svm_features;
uint32_t svm_nr_asids = 16;
void *svm_iopm, *svm_msrpm;
struct virt_settings virt_settings;

void *page_alloc_zeroed(void)
{
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    assert_non_null(p);
    memset(p, 0, PAGE_SIZE);
    return p;
}

/* --- helpers ----------------------------------------------------------- */

/* A vCPU in 64-bit mode with paging on (one identity 1 GiB page), as the
   guest kernel runs, that just exited with RIP on the HLT of `sti; hlt`,
   inside the shadow, IF=1 (the STI retired) and nothing being injected. */
static int setup(void **state)
{
    (void)state;
    fake_guest_reset();
    assert_int_equal(svm_vcpu_init(&vcpu), 0);
    sv = vcpu.arch;

    *(uint64_t *)(guest_ram + PML4_GPA) = PDPT_GPA | PTE_P_RW;
    *(uint64_t *)(guest_ram + PDPT_GPA) = 0 | PTE_P_RW | PTE_PS;
    guest_ram[CODE_GPA] = OPCODE_STI;
    guest_ram[CODE_GPA + 1] = OPCODE_HLT;

    struct vmcb *vmcb = sv->vmcb;
    vmcb->save.cr0 = CR0_PE | CR0_PG;
    vmcb->save.cr3 = PML4_GPA;
    vmcb->save.cr4 = CR4_PAE;
    vmcb->save.efer = EFER_LME | EFER_LMA | EFER_SVME;
    vmcb->control.int_state = INT_STATE_SHADOW;
    vmcb->control.eventinj = 0;
    vcpu.regs.rip = CODE_GPA + 1;
    vcpu.regs.rflags = RFLAGS_IF;
    sv->exit_rip = vcpu.regs.rip;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(sv->vmcb);
    free(sv);
    return 0;
}

/* Nothing about the vCPU changed: the caller leaves the HLT to run (or the
   interrupt window to open later) as the hardware would. */
static void assert_not_completed(uint64_t rip)
{
    assert_int_equal(svm_complete_shadowed_hlt(&vcpu), 0);
    assert_int_equal(vcpu.regs.rip, rip);
    assert_int_equal(vcpu.stats.shadowed_hlts, 0);
}

/* --- tests ------------------------------------------------------------- */

static void test_hlt_in_shadow_with_if_set_is_completed(void **state)
{
    (void)state;
    assert_int_equal(svm_irq_window_open(&vcpu), 0);   /* why this path exists */
    assert_int_equal(svm_complete_shadowed_hlt(&vcpu), 1);
    assert_int_equal(vcpu.regs.rip, CODE_GPA + 1 + INSN_LEN_HLT);
    assert_int_equal(vcpu.stats.shadowed_hlts, 1);
    assert_int_equal(sv->vmcb->control.int_state & INT_STATE_SHADOW, 0);
    /* The interrupt can be injected now, after the HLT, as on hardware. */
    assert_int_equal(svm_irq_window_open(&vcpu), 1);
    /* And only once: the next call finds no shadow and no HLT under RIP. */
    assert_int_equal(svm_complete_shadowed_hlt(&vcpu), 0);
    assert_int_equal(vcpu.stats.shadowed_hlts, 1);
}

/* vCPU0 starts in 32-bit protected mode, paging off: the byte is read at
   CS.base + RIP, not at RIP. */
static void test_hlt_is_read_at_cs_base_plus_rip(void **state)
{
    (void)state;
    struct vmcb *vmcb = sv->vmcb;
    vmcb->save.cr0 = CR0_PE;
    vmcb->save.cr4 = 0;
    vmcb->save.efer = EFER_SVME;
    vmcb->save.cs.base = CS_BASE_32;
    vcpu.regs.rip = CODE_GPA + 1 - CS_BASE_32;
    sv->exit_rip = vcpu.regs.rip;
    assert_int_equal(svm_complete_shadowed_hlt(&vcpu), 1);
    assert_int_equal(vcpu.regs.rip, CODE_GPA + 1 - CS_BASE_32 + INSN_LEN_HLT);
    assert_int_equal(vcpu.stats.shadowed_hlts, 1);

    /* The same RIP with CS.base 0 points at a zero byte: left alone. */
    assert_int_equal(guest_ram[CODE_GPA + 1 - CS_BASE_32], 0);
    vmcb->save.cs.base = 0;
    vcpu.regs.rip = CODE_GPA + 1 - CS_BASE_32;
    sv->exit_rip = vcpu.regs.rip;
    vmcb->control.int_state = INT_STATE_SHADOW;
    vcpu.stats.shadowed_hlts = 0;
    assert_not_completed(CODE_GPA + 1 - CS_BASE_32);
}

/* `mov ss; hlt` or a shadow with interrupts off: the HLT must sleep. */
static void test_if_clear_is_not_completed(void **state)
{
    (void)state;
    vcpu.regs.rflags = 0;
    assert_not_completed(CODE_GPA + 1);
}

/* An event already being injected goes first; the HLT is not ours. */
static void test_event_injection_pending_is_not_completed(void **state)
{
    (void)state;
    svm_inject_irq(&vcpu, VECTOR_DUMMY);
    assert_not_completed(CODE_GPA + 1);
    assert_int_not_equal(sv->vmcb->control.eventinj & EVENT_VALID, 0);
}

static void test_no_shadow_is_not_completed(void **state)
{
    (void)state;
    sv->vmcb->control.int_state = 0;
    assert_not_completed(CODE_GPA + 1);
}

/* The shadow the exit reported covers the instruction at the exit RIP: once
   a handler moved RIP on, it is over, even with the bit still set. */
static void test_shadow_of_an_older_rip_is_not_completed(void **state)
{
    (void)state;
    sv->exit_rip = CODE_GPA;
    assert_not_completed(CODE_GPA + 1);
}

static void test_opcode_not_hlt_is_not_completed(void **state)
{
    (void)state;
    guest_ram[CODE_GPA + 1] = OPCODE_NOP;
    assert_not_completed(CODE_GPA + 1);
}

/* RIP on an unmapped page (or outside the VM): nothing read, nothing done. */
static void test_unreadable_rip_is_not_completed(void **state)
{
    (void)state;
    *(uint64_t *)(guest_ram + PML4_GPA) = 0;
    assert_not_completed(CODE_GPA + 1);
    *(uint64_t *)(guest_ram + PML4_GPA) = PDPT_GPA | PTE_P_RW;
    vcpu.regs.rip = FAKE_GUEST_BYTES + 1;
    sv->exit_rip = vcpu.regs.rip;
    assert_not_completed(FAKE_GUEST_BYTES + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hlt_in_shadow_with_if_set_is_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hlt_is_read_at_cs_base_plus_rip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_if_clear_is_not_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_injection_pending_is_not_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_shadow_is_not_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shadow_of_an_older_rip_is_not_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_opcode_not_hlt_is_not_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_rip_is_not_completed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
