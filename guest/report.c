/*
 * Report sink: hypercall or direct console line.
 */
#include "report.h"
#include "console.h"
#include "env.h"
#include "hypercall.h"
#include "percpu.h"
#include "pvstring.h"

#define REPORT_PREFIX "{\"kind\":\""

int report_json(const char *json, size_t len)
{
    size_t plen = sizeof(REPORT_PREFIX) - 1;

    if (len >= PV_REPORT_MAX || len <= plen ||
        memcmp(json, REPORT_PREFIX, plen) != 0) {
        kprintf("vcpu %u: report not sent: %zu bytes, must be < %u and "
                "start with %s\n", this_cpu(), len, PV_REPORT_MAX,
                REPORT_PREFIX);
        return -1;
    }
    if (env.pv) {
        long r = hypercall4(PV_HC_REPORT, (uintptr_t)json, len, 0, 0);
        if (r < 0) {
            kprintf("vcpu %u: PV_HC_REPORT refused %zu bytes: error %ld\n",
                    this_cpu(), len, -r);
            return -1;
        }
        return 0;
    }
    /* Same shape as the hypervisor's line: vm and vcpu first. */
    unsigned long f = console_lock();
    kprintf("@pvhv {\"vm\":%u,\"vcpu\":%u,", env.bi->vm_id, this_cpu());
    console_write(json + 1, len - 1);
    console_write("\n", 1);
    console_unlock(f);
    return 0;
}
