/*
 * task=fuzz (issue 13, first part): vCPU0 issues fuzz_ops random operations
 * at the hypervisor, reproducible from seed=: hypercalls with random numbers
 * and arguments, MSR reads and writes, port I/O and CPUID leaves. A refused
 * operation is the expected outcome (-errno, #GP); what is checked is that
 * the hypervisor survives and the other VMs finish. MSRs this kernel relies
 * on (EFER, FS/GS bases, PAT, the steal-time area) are only ever written
 * with invalid values, so the VM itself lives to do all its operations.
 * The last operations are kept in a ring and printed when the task ends.
 */
#include "tasks.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "hypercall.h"
#include "idt.h"
#include "pv_abi.h"
#include "report.h"
#include "rng.h"

#define EXC_GP 13
#define MSR_INSN_LEN 2            /* rdmsr, wrmsr: 0F 32 / 0F 30 */
#define FUZZ_MAX_OPS 1000000000ull
#define FUZZ_RING 16
#define FUZZ_SEED_MIX 0xD1B54A32D192ED03ull
#define COM1_FIRST PV_GUEST_COM1
#define COM1_LAST (PV_GUEST_COM1 + PV_GUEST_COM1_PORTS - 1)
#define VEC_BELOW_EXTERNAL 31     /* SEND_IPI refuses vectors below 32 */
#define MSR_EFER 0xC0000080u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define MSR_PAT 0x277u
#define EFER_RESERVED_BIT (1ull << 20)
#define NONCANONICAL (1ull << 63 | 1ull << 47)

enum op { OP_HYPERCALL, OP_RDMSR, OP_WRMSR, OP_IN, OP_OUT, OP_CPUID, OP_KINDS };
static const char *const op_names[OP_KINDS] = {
    "hypercall", "rdmsr", "wrmsr", "in", "out", "cpuid",
};

/* MSRs worth trying beside random indices: the ones a hypervisor handles. */
static const uint32_t msrs[] = {
    MSR_EFER, 0xC0000081u, 0xC0000082u, 0xC0000083u, 0xC0000084u, MSR_FS_BASE,
    MSR_GS_BASE, MSR_KERNEL_GS_BASE, 0xC0000103u, MSR_PAT, 0x174u, 0x175u, 0x176u,
    0x1Bu, 0x10u, 0x3Au, 0x48u, 0x49u, 0x8Bu, 0xFEu, 0x2FFu, 0x480u, 0x48Du,
    PV_MSR_STEAL_TIME, 0x4b564d00u, 0x4b564d01u, 0x4b564d02u, 0x4b564d04u, 0x40000000u,
};
#define NMSRS (sizeof(msrs) / sizeof(msrs[0]))

static const uint64_t hypercalls[] = {
    PV_HC_KICK_CPU, PV_HC_SEND_IPI, PV_HC_SCHED_YIELD, PV_HC_VCPU_START, PV_HC_REPORT,
    0, 1, 9, 12, PV_HC_BASE, PV_HC_BASE + 5, PV_HC_BASE + 0xFFFF, ~0ull,
};
#define NHCS (sizeof(hypercalls) / sizeof(hypercalls[0]))

struct fuzz_entry { uint64_t n; enum op op; uint64_t a, b; long r; };

static uint64_t nr_ops;
static struct fuzz_entry ring[FUZZ_RING];
static uint64_t done, faults, refused, per_op[OP_KINDS];

static void configure(void)
{
    nr_ops = cfg_u64("fuzz_ops", 10000, 0, FUZZ_MAX_OPS);
}

/* A value of the kind that breaks checks: 0, small, all ones, around the
   VM's memory size, non-canonical, or random. */
static uint64_t value(uint64_t *rng)
{
    uint64_t mem = env.bi->mem_bytes;
    switch (pv_rng_below(rng, 8)) {
    case 0: return 0;
    case 1: return pv_rng_below(rng, 256);
    case 2: return ~0ull;
    case 3: return mem - pv_rng_below(rng, 4096);
    case 4: return pv_rng_below(rng, mem);
    case 5: return NONCANONICAL | pv_rng_next(rng);
    case 6: return 1ull << pv_rng_below(rng, 64);
    default: return pv_rng_next(rng);
    }
}

static int kernel_msr(uint32_t msr)
{
    return msr == MSR_EFER || msr == MSR_FS_BASE || msr == MSR_GS_BASE ||
           msr == MSR_KERNEL_GS_BASE || msr == MSR_PAT || msr == PV_MSR_STEAL_TIME;
}

static long try_rdmsr(uint32_t msr)
{
    uint32_t lo = 0, hi = 0;
    idt_expect_fault(EXC_GP, MSR_INSN_LEN);
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return idt_fault_seen() ? -1 : 0;
}

static long try_wrmsr(uint32_t msr, uint64_t v)
{
    idt_expect_fault(EXC_GP, MSR_INSN_LEN);
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
    return idt_fault_seen() ? -1 : 0;
}

static void one(uint64_t *rng, struct fuzz_entry *e)
{
    e->op = (enum op)pv_rng_below(rng, OP_KINDS);
    switch (e->op) {
    case OP_HYPERCALL: {
        uint64_t nr = pv_rng_below(rng, 4) ? hypercalls[pv_rng_below(rng, NHCS)]
                                           : pv_rng_next(rng);
        uint64_t a0 = value(rng), a1 = value(rng), a2 = value(rng), a3 = value(rng);
        if (nr == PV_HC_SEND_IPI)           /* vectors below 32: always refused */
            a3 = pv_rng_below(rng, VEC_BELOW_EXTERNAL + 1);
        if (nr == PV_HC_VM_DONE || nr == PV_HC_CONSOLE_WRITE)
            nr = PV_HC_BASE + 0x100;        /* would end the VM / print junk */
        e->a = nr;
        e->b = a0;
        e->r = hypercall4(nr, a0, a1, a2, a3);
        refused += e->r < 0;
        break;
    }
    case OP_RDMSR:
        e->a = pv_rng_below(rng, 2) ? msrs[pv_rng_below(rng, NMSRS)] : (uint32_t)pv_rng_next(rng);
        e->r = try_rdmsr((uint32_t)e->a);
        faults += e->r < 0;
        break;
    case OP_WRMSR:
        e->a = pv_rng_below(rng, 2) ? msrs[pv_rng_below(rng, NMSRS)] : (uint32_t)pv_rng_next(rng);
        e->b = value(rng);
        if (kernel_msr((uint32_t)e->a))     /* only values that must be refused */
            e->b = e->a == MSR_EFER ? EFER_RESERVED_BIT : NONCANONICAL;
        e->r = try_wrmsr((uint32_t)e->a, e->b);
        faults += e->r < 0;
        break;
    case OP_IN:
    case OP_OUT:
        e->a = pv_rng_below(rng, 0x10000);
        if (e->a >= COM1_FIRST && e->a <= COM1_LAST)
            e->a = 0x80;                    /* keep the console readable */
        e->b = pv_rng_below(rng, 256);
        if (e->op == OP_IN)
            e->r = inb((uint16_t)e->a);
        else
            outb((uint16_t)e->a, (uint8_t)e->b);
        break;
    default: {
        uint32_t a, b, c, d;
        e->a = pv_rng_below(rng, 2) ? 0x40000000u + pv_rng_below(rng, 0x20)
                                    : (uint32_t)pv_rng_next(rng);
        cpuid((uint32_t)e->a, 0, &a, &b, &c, &d);
        e->r = a;
        break;
    }
    }
    per_op[e->op]++;
}

static enum guest_fail_code run(unsigned cpu)
{
    char json[400];

    if (cpu != 0 || !env.pv)
        return FAIL_NONE;
    uint64_t rng = env.bi->seed * FUZZ_SEED_MIX + 1;
    for (done = 0; done < nr_ops; done++) {
        struct fuzz_entry *e = &ring[done % FUZZ_RING];
        e->n = done;
        one(&rng, e);
    }
    for (uint64_t i = done > FUZZ_RING ? done - FUZZ_RING : 0; i < done; i++) {
        const struct fuzz_entry *e = &ring[i % FUZZ_RING];
        kprintf("fuzz: op %lu %s 0x%lx 0x%lx -> %ld\n", e->n, op_names[e->op], e->a, e->b,
                e->r);
    }
    int n = pv_snprintf(json, sizeof(json),
                        "{\"kind\":\"fuzz\",\"ops\":%lu,\"hypercalls\":%lu,\"refused\":%lu,"
                        "\"rdmsr\":%lu,\"wrmsr\":%lu,\"msr_faults\":%lu,\"in\":%lu,"
                        "\"out\":%lu,\"cpuid\":%lu}",
                        done, per_op[OP_HYPERCALL], refused, per_op[OP_RDMSR],
                        per_op[OP_WRMSR], faults, per_op[OP_IN], per_op[OP_OUT],
                        per_op[OP_CPUID]);
    report_json(json, (size_t)n);
    return FAIL_NONE;
}

const struct task task_fuzz = {
    .name = "fuzz",
    .configure = configure,
    .run = run,
};
