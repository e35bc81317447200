/*
 * The bring-up check, always first: every vCPU reports in, vCPU0 sends every
 * other vCPU an IPI twice (once as one bitmap from APIC ID 0, once with the
 * bitmap based at APIC ID 1, to exercise the hypercall's base argument), and
 * each target acknowledges in its interrupt handler.
 */
#include "tasks.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "idt.h"
#include "percpu.h"
#include "report.h"
#include "smp.h"
#include "tsc.h"

#define SMP_ROUNDS 2
#define TIMEOUT_MS_PER_VCPU 2000

static uint64_t acked[SMP_ROUNDS]; /* bit i: vCPU i took that round's IPI */
static uint32_t acks;
static uint32_t round; /* which round an IPI now belongs to */

static void ipi_ack(struct isr_frame *f)
{
    unsigned r = __atomic_load_n(&round, __ATOMIC_ACQUIRE);

    (void)f;
    __atomic_fetch_or(&acked[r], 1ull << this_cpu(), __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&acks, 1, __ATOMIC_ACQ_REL);
}

static void configure(void)
{
    idt_set_handler(VEC_IPI_CALL, ipi_ack);
}

/* Spin until cond() or the deadline; returns cond()'s last value. */
static int wait_until(int (*cond)(void), uint64_t timeout)
{
    uint64_t start = rdtsc();

    while (!cond()) {
        if (rdtsc() - start > timeout)
            return cond();
        cpu_relax();
    }
    return 1;
}

static uint64_t others_mask(void)
{
    unsigned n = env.bi->nr_vcpus;
    uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;
    return all & ~1ull;
}

/* No libgcc here, so no __builtin_popcount. */
static unsigned bit_count(uint64_t m)
{
    unsigned n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

static int all_up(void) { return smp_vcpus_up() == env.bi->nr_vcpus; }
static int round_acked(void)
{
    unsigned r = __atomic_load_n(&round, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&acked[r], __ATOMIC_ACQUIRE) == others_mask();
}

/* A secondary: sleep until both rounds' IPIs have arrived. */
static void wait_for_ipis(unsigned cpu)
{
    irq_disable();
    while (!(__atomic_load_n(&acked[SMP_ROUNDS - 1], __ATOMIC_ACQUIRE) &
             (1ull << cpu))) {
        safe_halt(); /* the IPI handler runs, then we re-check */
        irq_disable();
    }
    irq_enable();
}

static enum guest_fail_code run(unsigned cpu)
{
    unsigned n = env.bi->nr_vcpus;
    uint64_t timeout = tsc_ms_to_cycles((uint64_t)TIMEOUT_MS_PER_VCPU * n);
    unsigned sent = 0;
    enum guest_fail_code rc = FAIL_NONE;
    char json[160];
    int len;

    if (cpu != 0) {
        if (n > 1 && smp_can_ipi())
            wait_for_ipis(cpu);
        return FAIL_NONE;
    }
    if (!wait_until(all_up, timeout)) {
        kprintf("smp: only %u of %u vCPUs came up\n", smp_vcpus_up(), n);
        rc = FAIL_SMP;
    } else if (n > 1 && !smp_can_ipi()) {
        kprintf("smp: %u vCPUs but no PV_SEND_IPI feature: cannot send "
                "IPIs\n", n);
        rc = FAIL_SMP;
    } else if (n > 1) {
        /* Round 0: bitmap from APIC ID 0; round 1: the same targets as a
           bitmap based at APIC ID 1. */
        static const unsigned base[SMP_ROUNDS] = { 0, 1 };
        for (unsigned r = 0; r < SMP_ROUNDS && rc == FAIL_NONE; r++) {
            uint64_t mask = others_mask() >> base[r];
            unsigned want = bit_count(mask);
            long got;

            __atomic_store_n(&round, r, __ATOMIC_RELEASE);
            got = smp_send_ipi(mask, base[r], VEC_IPI_CALL);
            sent += want;
            if (got != (long)want)
                kprintf("smp: SEND_IPI(mask 0x%lx, base %u) returned %ld, "
                        "want %u\n", mask, base[r], got, want);
            if (!wait_until(round_acked, timeout)) {
                kprintf("smp: round %u: IPI acks 0x%lx, want 0x%lx\n", r,
                        acked[r], others_mask());
                rc = FAIL_SMP;
            }
        }
    }
    len = pv_snprintf(json, sizeof(json),
                      "{\"kind\":\"smp\",\"vcpus_up\":%u,\"ipis_sent\":%u,"
                      "\"ipis_acked\":%u,\"ipi\":\"%s\"}",
                      smp_vcpus_up(), sent,
                      __atomic_load_n(&acks, __ATOMIC_ACQUIRE),
                      smp_ipi_path());
    report_json(json, (size_t)len);
    kprintf("smp: %u vCPUs up, %u IPIs sent, %u acked: %s\n", smp_vcpus_up(),
            sent, acks, rc == FAIL_NONE ? "ok" : "FAILED");
    return rc;
}

const struct task task_smp = {
    .name = "smp",
    .configure = configure,
    .run = run,
};
