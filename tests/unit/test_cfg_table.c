/*
 * Bad values of every key, derived from the parser's own option table
 * rather than from a list kept here: the keys come from the unknown-key
 * message ("known keys: ..."), each key's limits or words from its
 * empty-value message ("allowed: ..."), both printed from the table. So a
 * key added to the table is covered the day it is added, and a key whose
 * "allowed" text this test cannot read fails here (a user could not read
 * it either). For each key: below min, above max, a word not allowed, a
 * non-number; each must be refused naming that key and value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

#define MAX_KEYS   64
#define MAX_BAD    8
#define VALUE_MAX  64
#define MIN_KEYS   20      /* the table had 27 keys when this was written */

struct bad { char v[VALUE_MAX]; };

static int nkeys;
static char keys[MAX_KEYS][32];  /* each name < 32 (asserted) */

static void learn_keys(void)
{
    struct cfg c;
    struct cfg_error e;
    assert_int_not_equal(cfg_parse("no_such_key_xyz=1", &c, &e), 0);
    const char *p = strstr(e.message, "known keys: ");
    if (!p)
        fail_msg("unknown-key message lists no keys: %s", e.message);
    p += strlen("known keys: ");
    nkeys = 0;
    while (*p && nkeys < MAX_KEYS) {
        int n = 0;
        while (p[n] && p[n] != ' ')
            n++;
        assert_true(n > 0 && n < 32);
        memcpy(keys[nkeys], p, (size_t)n);
        keys[nkeys][n] = '\0';
        nkeys++;
        p += n;
        while (*p == ' ')
            p++;
    }
    if (nkeys < MIN_KEYS)
        fail_msg("only %d keys listed: %s", nkeys, e.message);
}

static void allowed_of(const char *key, char *buf, size_t n)
{
    struct cfg c;
    struct cfg_error e;
    char line[64];
    snprintf(line, sizeof(line), "%s=", key);
    assert_int_not_equal(cfg_parse(line, &c, &e), 0);
    const char *a = strstr(e.message, "allowed: ");
    if (!a || strcmp(e.key, key))
        fail_msg("%s=: no 'allowed:' for the key: key=%s %s", key, e.key, e.message);
    snprintf(buf, n, "%s", a + strlen("allowed: "));
}

static void add(struct bad *b, int *nb, const char *fmt, ...)
{
    va_list ap;
    assert_true(*nb < MAX_BAD);
    va_start(ap, fmt);
    vsnprintf(b[*nb].v, VALUE_MAX, fmt, ap);
    va_end(ap);
    (*nb)++;
}

/* The bad values one "allowed:" text implies; returns how many. */
static int bad_values(const char *key, const char *allowed, struct bad *b)
{
    int nb = 0;
    uint64_t lo, hi, align;
    char unit;

    if (sscanf(allowed, "%" SCNu64 "M..%" SCNu64 "M in multiples of %" SCNu64 "M",
               &lo, &hi, &align) == 3) {                       /* a size */
        if (lo > align)
            add(b, &nb, "%" PRIu64 "M", lo - align);
        add(b, &nb, "%" PRIu64 "M", hi + align);
        add(b, &nb, "%" PRIu64 "K", lo * 1024 + 4);            /* not aligned */
        add(b, &nb, "lots");
        add(b, &nb, "1T");
    } else if (sscanf(allowed, "%" SCNu64 "..%" SCNu64 "%c", &lo, &hi, &unit) >= 2) {
        if (lo > 0)
            add(b, &nb, "%" PRIu64, lo - 1);                   /* below min */
        if (hi < UINT64_MAX)
            add(b, &nb, "%" PRIu64, hi + 1);                   /* above max */
        else
            add(b, &nb, "18446744073709551616");               /* 2^64 */
        add(b, &nb, "x%" PRIu64, lo);                          /* non-number */
        add(b, &nb, "%" PRIu64 "x", lo);
        add(b, &nb, "-1");
    } else if (!strncmp(allowed, "a comma-separated list of ", 26)) {
        char first[32] = "";
        sscanf(allowed + 26, "%31[a-z]", first);
        assert_true(first[0]);
        add(b, &nb, "nosuchtask");
        add(b, &nb, "%s,%s", first, first);                    /* twice */
        add(b, &nb, "%s,", first);                             /* empty */
    } else if (strchr(allowed, '|')) {                         /* words */
        char first[32] = "";
        sscanf(allowed, "%31[^|]", first);
        add(b, &nb, "maybe");
        add(b, &nb, "%sx", first);
        for (char *p = first; *p; p++)                          /* case matters */
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        add(b, &nb, "%s", first);
        add(b, &nb, "1");
        if (strstr(allowed, "VM:")) {                          /* crash=VM:how */
            add(b, &nb, "0:nosuch");
            add(b, &nb, "x:triple");
            add(b, &nb, "99:triple");                          /* no such VM */
        }
    } else {
        fail_msg("%s: cannot read its 'allowed:' text: %s", key, allowed);
    }
    return nb;
}

static void test_every_key_refuses_its_bad_values(void **state)
{
    (void)state;
    int checked = 0;
    learn_keys();
    for (int k = 0; k < nkeys; k++) {
        char allowed[256];
        struct bad b[MAX_BAD];
        allowed_of(keys[k], allowed, sizeof(allowed));
        int nb = bad_values(keys[k], allowed, b);
        assert_true(nb >= 2);
        for (int i = 0; i < nb; i++) {
            char line[256];
            struct cfg c;
            struct cfg_error e;
            snprintf(line, sizeof(line), "%.31s=%.63s", keys[k], b[i].v);
            if (cfg_parse(line, &c, &e) == 0)
                fail_msg("\"%s\" accepted (allowed: %s)", line, allowed);
            if (strcmp(e.key, keys[k]) || strcmp(e.value, b[i].v))
                fail_msg("\"%s\": refused as key=%s value=%s", line, e.key, e.value);
            if (!strstr(e.message, "allowed"))
                fail_msg("\"%s\": message does not say what is allowed: %s", line, e.message);
            checked++;
        }
    }
    print_message("%d keys, %d bad values refused\n", nkeys, checked);
}

/* The table's limits are inclusive: min and max themselves are accepted
   (else "below min" above would prove nothing about the boundary). */
static void test_every_numeric_limit_is_accepted(void **state)
{
    (void)state;
    learn_keys();
    for (int k = 0; k < nkeys; k++) {
        char allowed[256], line[256];
        uint64_t lo, hi;
        struct cfg c;
        struct cfg_error e;
        allowed_of(keys[k], allowed, sizeof(allowed));
        if (strstr(allowed, "M in multiples") ||
            sscanf(allowed, "%" SCNu64 "..%" SCNu64, &lo, &hi) != 2)
            continue;
        uint64_t ends[2] = { lo, hi };
        for (int i = 0; i < 2; i++) {
            snprintf(line, sizeof(line), "%.31s=%" PRIu64, keys[k], ends[i]);
            /* A limit may clash with a default of another key (vcpus=64 with
               vms=16 exceeds the total): then that other key is named. */
            if (cfg_parse(line, &c, &e) && !strcmp(e.key, keys[k]))
                fail_msg("\"%s\" refused at its own limit: %s", line, e.message);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key_refuses_its_bad_values),
        cmocka_unit_test(test_every_numeric_limit_is_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
