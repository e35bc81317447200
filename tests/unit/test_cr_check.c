/*
 * The one rule both backends apply to a guest's CR0/CR4 writes
 * (hv/virt/cr_check.h). Before it, SVM stored any value in the VMCB and
 * QEMU TCG's VMRUN then refused NW-without-CD or a reserved CR4 bit, which
 * killed the VM where hardware gives the guest #GP; a rule that let one
 * of these through would do it again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "virt/cr_check.h"

#define LONG_CR0   (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG)
#define LONG_CR4   (CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT)
#define LONG_EFER  (EFER_LME | EFER_LMA | EFER_SCE)
#define SUPPORTED  (LONG_CR4 | CR4_PGE | CR4_PSE | CR4_PCIDE | CR4_LA57 | CR4_CET)

static const struct cr_state long64 = {
    .cr0 = LONG_CR0, .cr3 = 0x1000, .cr4 = LONG_CR4, .efer = LONG_EFER, .cs_long = 1,
};
static const struct cr_state boot32 = {   /* multiboot entry: PE only */
    .cr0 = CR0_PE | CR0_ET, .cr3 = 0, .cr4 = 0, .efer = 0, .cs_long = 0,
};

static int cr0_ok(const struct cr_state *s, uint64_t val)
{
    uint64_t cr0, efer;
    return cr0_write_check(s, val, &cr0, &efer) == 0;
}

static void test_cr0_refuses_what_vmrun_refuses(void **state)
{
    (void)state;
    assert_false(cr0_ok(&long64, LONG_CR0 | CR0_NW));             /* NW without CD */
    assert_true(cr0_ok(&long64, LONG_CR0 | CR0_NW | CR0_CD));
    assert_true(cr0_ok(&long64, LONG_CR0 | CR0_CD));
    assert_false(cr0_ok(&long64, LONG_CR0 | 1ull << 32));
    assert_false(cr0_ok(&long64, LONG_CR0 | 1ull << 63));
    assert_false(cr0_ok(&boot32, CR0_PG));                        /* PG without PE */
}

static void test_cr0_paging_and_long_mode(void **state)
{
    (void)state;
    uint64_t cr0, efer;
    assert_false(cr0_ok(&long64, LONG_CR0 & ~CR0_PG));            /* in 64-bit code */
    struct cr_state compat = long64;
    compat.cs_long = 0;
    assert_int_equal(cr0_write_check(&compat, LONG_CR0 & ~CR0_PG, &cr0, &efer), 0);
    assert_int_equal(efer, LONG_EFER & ~EFER_LMA);                 /* leaves IA-32e mode */
    struct cr_state entering = { .cr0 = CR0_PE | CR0_ET, .cr4 = CR4_PAE, .efer = EFER_LME };
    assert_int_equal(cr0_write_check(&entering, CR0_PE | CR0_PG, &cr0, &efer), 0);
    assert_int_equal(efer, EFER_LME | EFER_LMA);
    assert_int_equal(cr0, CR0_PE | CR0_ET | CR0_PG);               /* ET reads 1 */
    entering.cr4 = 0;
    assert_false(cr0_ok(&entering, CR0_PE | CR0_PG));              /* LME without PAE */
}

static void test_cr0_low_reserved_bits_ignored(void **state)
{
    (void)state;
    uint64_t cr0, efer;
    assert_int_equal(cr0_write_check(&long64, LONG_CR0 | 1ull << 6 | 1ull << 28, &cr0, &efer), 0);
    assert_int_equal(cr0, LONG_CR0);
}

static void test_lmsw(void **state)
{
    (void)state;
    assert_int_equal(cr0_after_lmsw(LONG_CR0, 0), LONG_CR0 & ~CR0_MP);   /* PE stays */
    assert_int_equal(cr0_after_lmsw(CR0_ET, 0xFFFF), CR0_ET | CR0_LMSW_BITS);
}

static void test_cr4(void **state)
{
    (void)state;
    assert_int_equal(cr4_write_check(&long64, LONG_CR4 | CR4_PGE, SUPPORTED), 0);
    assert_int_equal(cr4_write_check(&long64, LONG_CR4 | 1ull << 15, SUPPORTED), -1);
    assert_int_equal(cr4_write_check(&long64, LONG_CR4 | CR4_VMXE, SUPPORTED), -1);
    assert_int_equal(cr4_write_check(&long64, LONG_CR4 | 1ull << 32, SUPPORTED), -1);
    assert_int_equal(cr4_write_check(&long64, LONG_CR4 & ~CR4_PAE, SUPPORTED), -1);
    assert_int_equal(cr4_write_check(&long64, LONG_CR4 | CR4_LA57, SUPPORTED), -1);
    assert_int_equal(cr4_write_check(&boot32, CR4_LA57, SUPPORTED), 0);
    /* PCIDE needs long mode and CR3[11:0] = 0 */
    assert_int_equal(cr4_write_check(&long64, LONG_CR4 | CR4_PCIDE, SUPPORTED), 0);
    struct cr_state pcid = long64;
    pcid.cr3 |= 1;
    assert_int_equal(cr4_write_check(&pcid, LONG_CR4 | CR4_PCIDE, SUPPORTED), -1);
    assert_int_equal(cr4_write_check(&boot32, CR4_PAE | CR4_PCIDE, SUPPORTED), -1);
    struct cr_state no_wp = long64;
    no_wp.cr0 &= ~CR0_WP;
    assert_int_equal(cr4_write_check(&no_wp, LONG_CR4 | CR4_CET, SUPPORTED), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cr0_refuses_what_vmrun_refuses),
        cmocka_unit_test(test_cr0_paging_and_long_mode),
        cmocka_unit_test(test_cr0_low_reserved_bits_ignored),
        cmocka_unit_test(test_lmsw),
        cmocka_unit_test(test_cr4),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
