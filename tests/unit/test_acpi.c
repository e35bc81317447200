/*
 * libpv/acpi.c on the host: a fake physical memory holding an RSDP, an RSDT
 * and a MADT, reached only through the map callback, the way the natively
 * booted guest reaches firmware tables. Checks the CPUs found, that
 * disabled entries are skipped, and that a corrupt, truncated or
 * unreachable table is an error with a reason, never a read outside what
 * the callback allowed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "acpi.h"

#define FAKE_BYTES 0x4000
#define RSDP_PA 0x1000
#define RSDT_PA 0x2000
#define MADT_PA 0x3000
#define SDT_HEADER_LEN 36
#define MADT_FIXED_LEN 44      /* header + local APIC address + flags */
#define LAPIC_ENTRY_LEN 8
#define RSDP_V1_LEN 20

static uint8_t fake[FAKE_BYTES];
static unsigned refused;       /* map calls outside the fake memory */

static const void *fake_map(uint64_t pa, uint64_t len)
{
    if (pa >= FAKE_BYTES || len > FAKE_BYTES - pa) {
        refused++;
        return NULL;
    }
    return fake + pa;
}

static void fix_sum(uint8_t *p, unsigned len, unsigned at)
{
    uint8_t s = 0;

    p[at] = 0;
    for (unsigned i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    p[at] = (uint8_t)(0 - s);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* A machine whose MADT lists APIC IDs ids[0..n) (enabled[i] says which). */
static void build(const uint8_t *ids, const int *enabled, unsigned n)
{
    uint8_t *rsdp = fake + RSDP_PA, *rsdt = fake + RSDT_PA, *madt = fake + MADT_PA;
    unsigned madt_len = MADT_FIXED_LEN + n * LAPIC_ENTRY_LEN;

    memset(fake, 0, sizeof(fake));
    refused = 0;
    memcpy(rsdp, "RSD PTR ", 8);
    put32(rsdp + 16, RSDT_PA);                  /* revision 0: RSDT only */
    fix_sum(rsdp, RSDP_V1_LEN, 8);

    memcpy(rsdt, "RSDT", 4);
    put32(rsdt + 4, SDT_HEADER_LEN + 4);
    put32(rsdt + SDT_HEADER_LEN, MADT_PA);
    fix_sum(rsdt, SDT_HEADER_LEN + 4, 9);

    memcpy(madt, "APIC", 4);
    put32(madt + 4, madt_len);
    put32(madt + SDT_HEADER_LEN, 0xFEE00000u);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = madt + MADT_FIXED_LEN + i * LAPIC_ENTRY_LEN;
        e[0] = 0;                               /* processor local APIC */
        e[1] = LAPIC_ENTRY_LEN;
        e[2] = (uint8_t)i;
        e[3] = ids[i];
        put32(e + 4, enabled[i] ? 1u : 0u);
    }
    fix_sum(madt, madt_len, 9);
}

static void test_lists_enabled_cpus(void **state)
{
    static const uint8_t ids[] = { 0, 2, 5 };
    static const int en[] = { 1, 0, 1 };
    uint32_t out[8];
    char err[96];

    (void)state;
    build(ids, en, 3);
    assert_int_equal(acpi_find_cpus(RSDP_PA, fake_map, out, 8, err, sizeof(err)), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 5);
}

static void test_too_many_cpus_is_an_error(void **state)
{
    static const uint8_t ids[] = { 0, 1, 2 };
    static const int en[] = { 1, 1, 1 };
    uint32_t out[2];
    char err[96];

    (void)state;
    build(ids, en, 3);
    assert_int_equal(acpi_find_cpus(RSDP_PA, fake_map, out, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "more than 2"));
}

static void test_bad_checksum_is_an_error(void **state)
{
    static const uint8_t ids[] = { 0, 1 };
    static const int en[] = { 1, 1 };
    uint32_t out[8];
    char err[96];

    (void)state;
    build(ids, en, 2);
    fake[MADT_PA + MADT_FIXED_LEN + 3] ^= 1;    /* an APIC ID bit flips */
    assert_int_equal(acpi_find_cpus(RSDP_PA, fake_map, out, 8, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "MADT"));
}

static void test_unreachable_tables_are_refused_not_read(void **state)
{
    static const uint8_t ids[] = { 0 };
    static const int en[] = { 1 };
    uint32_t out[8];
    char err[96];

    (void)state;
    build(ids, en, 1);
    /* The MADT claims to run past the end of what the caller can map. */
    put32(fake + MADT_PA + 4, FAKE_BYTES);
    assert_int_equal(acpi_find_cpus(RSDP_PA, fake_map, out, 8, err, sizeof(err)), -1);
    assert_true(refused > 0);
    /* No RSDP at the hint: the BIOS-area scan is outside the fake memory,
       so it finds nothing and says so. */
    memset(fake + RSDP_PA, 0, 8);
    assert_int_equal(acpi_find_cpus(RSDP_PA, fake_map, out, 8, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "RSDP"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_enabled_cpus),
        cmocka_unit_test(test_too_many_cpus_is_an_error),
        cmocka_unit_test(test_bad_checksum_is_an_error),
        cmocka_unit_test(test_unreachable_tables_are_refused_not_read),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
