/*
 * Steal-time registration and readers, as Linux's kvm_register_steal_time /
 * kvm_steal_clock / kvm_vcpu_is_preempted do it.
 */
#include "steal.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "report.h"

static struct pv_steal_time areas[PV_MAX_VCPUS]
    __attribute__((aligned(PV_STEAL_TIME_ALIGN)));
static uint8_t registered[PV_MAX_VCPUS];

_Static_assert(sizeof(areas[0]) == PV_STEAL_TIME_ALIGN,
               "one steal-time area per 64-byte slot");

void steal_register(unsigned cpu)
{
    if (cpu >= PV_MAX_VCPUS || !pv_has(PV_FEATURE_STEAL_TIME))
        return;
    /* Identity-mapped: the area's address is its GPA. */
    wrmsr(PV_MSR_STEAL_TIME, (uint64_t)(uintptr_t)&areas[cpu] |
                             PV_STEAL_TIME_ENABLE);
    __atomic_store_n(&registered[cpu], 1, __ATOMIC_RELEASE);
}

int steal_registered(unsigned cpu)
{
    return cpu < PV_MAX_VCPUS &&
           __atomic_load_n(&registered[cpu], __ATOMIC_ACQUIRE);
}

int vcpu_is_preempted(unsigned cpu)
{
    if (!steal_registered(cpu))
        return 0;
    return !!(__atomic_load_n(&areas[cpu].preempted, __ATOMIC_ACQUIRE) &
              PV_VCPU_PREEMPTED);
}

uint8_t *steal_preempted_byte(unsigned cpu)
{
    return steal_registered(cpu) ? &areas[cpu].preempted : 0;
}

uint64_t steal_ns(unsigned cpu)
{
    struct pv_steal_time *st = &areas[cpu];
    uint32_t v;
    uint64_t steal;

    if (!steal_registered(cpu))
        return 0;
    /* The hypervisor makes version odd, updates, makes it even again. */
    do {
        v = __atomic_load_n(&st->version, __ATOMIC_ACQUIRE);
        steal = __atomic_load_n(&st->steal, __ATOMIC_ACQUIRE);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != __atomic_load_n(&st->version, __ATOMIC_ACQUIRE));
    return steal;
}

void steal_report(unsigned cpu)
{
    char json[96];
    int len = pv_snprintf(json, sizeof(json),
                          "{\"kind\":\"steal\",\"steal_ns\":%lu,"
                          "\"registered\":%s}", steal_ns(cpu),
                          steal_registered(cpu) ? "true" : "false");

    report_json(json, (size_t)len);
}
