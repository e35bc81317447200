/*
 * The one rule both backends apply to MSR values a guest writes
 * (hv/virt/msr_check.h): before it, SVM refused Linux's usual STAR and VMX
 * accepted an IA32_FMASK with reserved bits set. A wrong answer here is a
 * guest that cannot boot, or a host that stores what hardware would refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "virt/msr_check.h"

#define LINUX_STAR      0x0023001000000000ull   /* user CS/SS 0x23, kernel 0x10 */
#define NON_CANONICAL   0x0000800000000000ull

static void test_star_takes_selectors_not_an_address(void **state)
{
    (void)state;
    assert_true(msr_guest_value_ok(MSR_STAR, LINUX_STAR));
    assert_true(msr_guest_value_ok(MSR_STAR, ~0ull));
}

static void test_fmask_and_sysenter_cs_high_half_reserved(void **state)
{
    (void)state;
    assert_true(msr_guest_value_ok(MSR_SFMASK, 0x47700));   /* Linux's mask */
    assert_false(msr_guest_value_ok(MSR_SFMASK, 1ull << 32));
    assert_false(msr_guest_value_ok(MSR_SFMASK, 0xFFFFFFFF00000000ull));
    assert_true(msr_guest_value_ok(MSR_SYSENTER_CS, 0x10));
    assert_false(msr_guest_value_ok(MSR_SYSENTER_CS, 1ull << 63));
}

static void test_addresses_must_be_canonical(void **state)
{
    (void)state;
    const uint32_t addr_msrs[] = { MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_LSTAR,
                                   MSR_CSTAR, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP };
    for (unsigned i = 0; i < sizeof(addr_msrs) / sizeof(addr_msrs[0]); i++) {
        assert_true(msr_guest_value_ok(addr_msrs[i], 0xFFFFFFFF81000000ull));
        assert_true(msr_guest_value_ok(addr_msrs[i], 0x00007FFFFFFFF000ull));
        assert_false(msr_guest_value_ok(addr_msrs[i], NON_CANONICAL));
    }
}

static void test_efer_and_pat(void **state)
{
    (void)state;
    assert_true(msr_guest_value_ok(MSR_EFER, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE));
    assert_false(msr_guest_value_ok(MSR_EFER, EFER_SVME));    /* never the guest's */
    assert_true(msr_guest_value_ok(MSR_PAT, 0x0007040600070406ull));   /* power-on PAT */
    assert_false(msr_guest_value_ok(MSR_PAT, 0x0007040600070402ull));  /* type 2 */
    assert_false(msr_guest_value_ok(MSR_PAT, 0x0000000000000008ull));  /* type 8 */
}

/* LME may change with paging off only (#GP otherwise, on both backends). */
static void test_efer_lme_fixed_while_paging(void **state)
{
    (void)state;
    const uint64_t longmode = EFER_LME | EFER_LMA | EFER_SCE;
    assert_false(msr_efer_change_ok(longmode, longmode & ~EFER_LME, CR0_PE | CR0_PG));
    assert_false(msr_efer_change_ok(0, EFER_LME, CR0_PE | CR0_PG));   /* 32-bit paging */
    assert_true(msr_efer_change_ok(0, EFER_LME, CR0_PE));             /* before CR0.PG */
    assert_true(msr_efer_change_ok(EFER_LME, 0, CR0_PE));
    assert_true(msr_efer_change_ok(longmode, longmode | EFER_NXE, CR0_PE | CR0_PG));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_star_takes_selectors_not_an_address),
        cmocka_unit_test(test_fmask_and_sysenter_cs_high_half_reserved),
        cmocka_unit_test(test_addresses_must_be_canonical),
        cmocka_unit_test(test_efer_and_pat),
        cmocka_unit_test(test_efer_lme_fixed_while_paging),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
