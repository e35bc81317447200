/*
 * README.md's options table against the parser's option table (hv/cfg.c):
 * every key the parser knows has a row, every row names a key the parser
 * knows, the defaults agree, and every word a key accepts is listed in its
 * row. A key added, renamed or re-defaulted in one place only fails here.
 * Runs from the top of the tree (make unit-test), where README.md is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cfg.h"

#define MAX_ROWS 64
#define CELL_MAX 512

struct row { char key[64], def[64], allowed[CELL_MAX]; };

static struct row rows[MAX_ROWS];
static int nrows;

/* Copies cell `col` of a Markdown table line, without backticks and the
   surrounding blanks. */
static void cell(const char *line, int col, char *out, size_t n)
{
    const char *p = line;
    for (int c = 0; c <= col; c++) {
        p = strchr(p, '|');
        if (!p) {
            out[0] = '\0';
            return;
        }
        p++;
    }
    const char *e = strchr(p, '|');
    size_t len = 0;
    for (; p < e && len + 1 < n; p++)
        if (*p != '`' && !(len == 0 && *p == ' '))
            out[len++] = *p;
    while (len && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
}

static void read_readme(void)
{
    FILE *f = fopen("README.md", "r");
    char line[2048];
    int in_table = 0;
    if (!f)
        fail_msg("README.md not found (run from the top of the tree)");
    nrows = 0;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "| key | default | allowed | meaning |", 37)) {
            in_table = 1;
            continue;
        }
        if (!in_table || !strncmp(line, "| ---", 5))
            continue;
        if (line[0] != '|')
            break;
        assert_true(nrows < MAX_ROWS);
        cell(line, 0, rows[nrows].key, sizeof(rows[nrows].key));
        cell(line, 1, rows[nrows].def, sizeof(rows[nrows].def));
        cell(line, 2, rows[nrows].allowed, sizeof(rows[nrows].allowed));
        if (strncmp(rows[nrows].key, "vmN.", 4))   /* the prefix row is not a key */
            nrows++;
    }
    fclose(f);
    if (nrows == 0)
        fail_msg("README.md has no options table");
}

static const struct row *row_of(const char *key)
{
    for (int i = 0; i < nrows; i++)
        if (!strcmp(rows[i].key, key))
            return &rows[i];
    return 0;
}

static void test_every_key_has_a_row_with_its_default_and_words(void **state)
{
    (void)state;
    read_readme();
    const char *def, *words, *name;
    char allowed[200];
    for (unsigned i = 0; (name = cfg_key_info(i, &def, &words, allowed, sizeof(allowed))); i++) {
        const struct row *r = row_of(name);
        if (!r)
            fail_msg("key %s (default %s) has no row in README.md's options table", name, def);
        if (strcmp(r->def, def))
            fail_msg("key %s: README.md says default %s, the parser %s", name, r->def, def);
        for (const char *p = words; p && *p;) {
            char w[64];
            size_t l = 0;
            while (p[l] && p[l] != '|' && l + 1 < sizeof(w)) {
                w[l] = p[l];
                l++;
            }
            w[l] = '\0';
            if (!strstr(r->allowed, w))
                fail_msg("key %s: README.md's allowed column lacks %s (parser: %s)", name, w,
                         allowed);
            p += l + (p[l] == '|');
        }
    }
}

static void test_every_row_is_a_key(void **state)
{
    (void)state;
    read_readme();
    for (int i = 0; i < nrows; i++) {
        const char *def, *words, *name;
        char allowed[200];
        int found = 0;
        for (unsigned k = 0; (name = cfg_key_info(k, &def, &words, allowed, sizeof(allowed))); k++)
            found |= !strcmp(name, rows[i].key);
        if (!found)
            fail_msg("README.md documents %s, which the parser does not know", rows[i].key);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key_has_a_row_with_its_default_and_words),
        cmocka_unit_test(test_every_row_is_a_key),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
