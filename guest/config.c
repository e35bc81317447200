/*
 * Command-line lookups on top of libpv's pv_cmdline_get. Every key asked
 * for is remembered with the value in effect (given, or the numeric
 * default), so a native run's `run` record can show its configuration the
 * way pvhv's does.
 */
#include "config.h"
#include "console.h"
#include "end.h"
#include "env.h"
#include "fmt.h"
#include "pvstring.h"

/* Big enough for any value the command line can hold, so pv_cmdline_get's
   -1 can only mean "absent". Only vCPU0 parses, before the others start. */
static char value[PV_CMDLINE_MAX];

#define CFG_SEEN_MAX 48
#define CFG_VALUE_MAX 256

static struct {
    const char *key;            /* the caller's literal */
    char value[CFG_VALUE_MAX];
    int number;                 /* print unquoted */
} seen[CFG_SEEN_MAX];
static unsigned nr_seen;

void json_escape(char *out, size_t n, const char *s)
{
    size_t o = 0;

    for (; *s && o + 2 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else {
            out[o++] = c < ' ' ? '?' : (char)c;  /* no control bytes */
        }
    }
    out[o] = 0;
}

static void remember(const char *key, const char *v, int number)
{
    unsigned i;

    for (i = 0; i < nr_seen && strcmp(seen[i].key, key); i++)
        ;
    if (i == nr_seen) {
        if (nr_seen == CFG_SEEN_MAX)
            return;             /* only the record would miss it */
        nr_seen++;
    }
    seen[i].key = key;
    seen[i].number = number;
    json_escape(seen[i].value, sizeof(seen[i].value), v);
}

int cfg_json(char *buf, size_t n)
{
    size_t at = 0;

    at += (size_t)pv_snprintf(buf, n, "{");
    for (unsigned i = 0; i < nr_seen && at < n; i++)
        at += (size_t)pv_snprintf(buf + at, n - at,
                                  seen[i].number ? "%s\"%s\":%s"
                                                 : "%s\"%s\":\"%s\"",
                                  i ? "," : "", seen[i].key, seen[i].value);
    if (at < n)
        at += (size_t)pv_snprintf(buf + at, n - at, "}");
    return at < n ? (int)at : -1;
}

void cfg_bad(const char *key, const char *val, const char *why)
{
    kprintf("guest: bad %s=%s: %s\n", key, val, why);
    guest_fail(FAIL_CONFIG, "bad command line value");
}

int cfg_str(const char *key, char *buf, size_t n)
{
    int len = pv_cmdline_get(env.bi->cmdline, key, value, sizeof(value));

    if (len < 0)
        return -1;
    if (len == 0)
        cfg_bad(key, "", "empty value");
    if ((size_t)len >= n)
        cfg_bad(key, value, "value too long");
    memcpy(buf, value, (size_t)len + 1);
    remember(key, value, 0);
    return len;
}

uint64_t cfg_u64(const char *key, uint64_t def, uint64_t min, uint64_t max)
{
    char buf[32];
    uint64_t v;
    int len = cfg_str(key, buf, sizeof(buf));

    if (len < 0) {
        char d[24];
        pv_snprintf(d, sizeof(d), "%lu", def);
        remember(key, d, 1);
        return def;
    }
    if (pv_parse_u64(buf, (size_t)len, &v) != 0)
        cfg_bad(key, buf, "not a number");
    if (v < min || v > max) {
        kprintf("guest: bad %s=%s: allowed %lu..%lu\n", key, buf, min, max);
        guest_fail(FAIL_CONFIG, "bad command line value");
    }
    remember(key, buf, 1);
    return v;
}
