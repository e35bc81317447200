/*
 * Command-line lookups on top of libpv's pv_cmdline_get.
 */
#include "config.h"
#include "console.h"
#include "end.h"
#include "env.h"
#include "pvstring.h"

/* Big enough for any value the command line can hold, so pv_cmdline_get's
   -1 can only mean "absent". Only vCPU0 parses, before the others start. */
static char value[PV_CMDLINE_MAX];

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
    return len;
}

uint64_t cfg_u64(const char *key, uint64_t def, uint64_t min, uint64_t max)
{
    char buf[32];
    uint64_t v;
    int len = cfg_str(key, buf, sizeof(buf));

    if (len < 0)
        return def;
    if (pv_parse_u64(buf, (size_t)len, &v) != 0)
        cfg_bad(key, buf, "not a number");
    if (v < min || v > max) {
        kprintf("guest: bad %s=%s: allowed %lu..%lu\n", key, buf, min, max);
        guest_fail(FAIL_CONFIG, "bad command line value");
    }
    return v;
}
