/*
 * Host NMIs. The host itself never needs them, but an NMI that arrives
 * while a guest runs belongs to the host and must not be lost or handed
 * to the guest: SVM intercepts it (it stays pending until STGI and is taken
 * here), VMX exits on it (NMI exiting) and runs this handler with INT 2.
 * nmi_test=on lets a test prove it: pCPU 0 sends an NMI to every other
 * pCPU at each of its slice ends, once the previous one has arrived (so
 * two can never merge), and the report compares sent with taken.
 */
#include "nmi.h"

#include "lapic.h"
#include "percpu.h"
#include "time.h"
#include "x86.h"

#define NMI_SETTLE_NS 10000000ull   /* an NMI in flight arrives well within 10 ms */

int nmi_test;

void nmi_taken(void)
{
    struct percpu *cpu = this_cpu();
    __atomic_fetch_add(&cpu->nmis, 1, __ATOMIC_RELEASE);
}

void nmi_test_settle(void)
{
    uint64_t deadline = rdtsc() + ns_to_cycles(NMI_SETTLE_NS);
    for (unsigned i = 1; i < nr_pcpus && nmi_test; i++)
        while (__atomic_load_n(&percpus[i].nmis, __ATOMIC_ACQUIRE) != percpus[i].nmis_sent &&
               rdtsc() < deadline)
            cpu_relax();
}

void nmi_test_tick(void)
{
    if (!nmi_test)
        return;
    for (unsigned i = 1; i < nr_pcpus; i++) {
        struct percpu *t = &percpus[i];
        if (__atomic_load_n(&t->online, __ATOMIC_ACQUIRE) != 1 ||
            __atomic_load_n(&t->nmis, __ATOMIC_ACQUIRE) != t->nmis_sent)
            continue;
        t->nmis_sent++;
        lapic_send_nmi(t->apic_id);
    }
}
