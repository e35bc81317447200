/*
 * task=fuzz (issue 13 item 2): vCPU0 issues fuzz_ops random operations at
 * the hypervisor, reproducible from seed=: hypercalls, MSRs, port I/O,
 * CPUID, CR0/CR3/CR4/CR8, debug registers, XSETBV, privileged and
 * virtualization instructions, HLT with IF=0, and accesses the guest's own
 * page tables send to unmapped or reserved physical addresses. A refused
 * operation is the expected outcome (-errno, an exception caught and
 * skipped); what is checked is that the hypervisor survives and the other
 * VMs finish. Every state the kernel relies on is restored by the same asm
 * block that changed it, so the VM itself lives to do all its operations;
 * what would end it by design (fuzz_extra=fatal) or hits an open issue is
 * left out unless fuzz_extra= asks for it.
 *
 * Each operation is written to an op log registered with PV_HC_OPLOG
 * before it runs: a VM the hypervisor kills says, in its record, what it
 * was doing. The last 16 lines are also printed when the task ends.
 */
#include "tasks.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "fuzz.h"
#include "hypercall.h"
#include "pv_abi.h"
#include "pvstring.h"
#include "report.h"
#include "rng.h"

#define FUZZ_MAX_OPS 1000000000ull
#define FUZZ_SEED_MIX 0xD1B54A32D192ED03ull
#define NONCANONICAL (1ull << 63 | 1ull << 47)
#define CPUID_FEATURES 1u
#define CPUID_ECX_XSAVE (1u << 26)
#define CPUID_EXT_MAX 0x80000000u
#define CPUID_ADDR_SIZES 0x80000008u
#define MAXPHY_MASK 0xFFu
#define MAXPHY_DEFAULT 36u
#define EXTRA_MAX 64

struct kind {
    const char *name;
    fuzz_fn fn;
    unsigned weight;
    unsigned needs;         /* FUZZ_EXTRA_* bit, or 0 */
};

static const struct kind kinds[] = {
    { "hypercall", fuzz_hypercall, 8, 0 },
    { "rdmsr", fuzz_rdmsr, 4, 0 },
    { "wrmsr", fuzz_wrmsr, 4, 0 },
    { "in", fuzz_in, 3, 0 },
    { "out", fuzz_out, 3, 0 },
    { "cpuid", fuzz_cpuid, 3, 0 },
    { "cr0", fuzz_cr0, 3, 0 },
    { "cr3", fuzz_cr3, 2, 0 },
    { "cr4", fuzz_cr4, 3, 0 },
    { "cr8", fuzz_cr8, 2, 0 },
    { "dr", fuzz_dr, 3, 0 },
    { "xsetbv", fuzz_xsetbv, 2, 0 },
    { "insn", fuzz_insn, 8, 0 },
    { "hlt", fuzz_hlt, 1, 0 },
    { "mem", fuzz_mem, 3, 0 },
    { "fatal", fuzz_fatal, 1, FUZZ_EXTRA_FATAL },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const extra_words[] = { "fatal", "tcgcr" };
#define NEXTRA (sizeof(extra_words) / sizeof(extra_words[0]))

struct fuzz_env fuzz_env;
static uint64_t nr_ops, done, faults, per_kind[NKINDS];
static struct pv_oplog oplog __attribute__((aligned(PV_OPLOG_ALIGN)));
static int oplog_on;

static void configure(void)
{
    char arg[EXTRA_MAX];

    nr_ops = cfg_u64("fuzz_ops", 10000, 0, FUZZ_MAX_OPS);
    if (cfg_str("fuzz_extra", arg, sizeof(arg)) < 0)
        return;
    for (const char *p = arg; *p;) {
        const char *end = p;
        while (*end && *end != ',')
            end++;
        size_t len = (size_t)(end - p);
        unsigned i = 0;
        while (i < NEXTRA && !(strlen(extra_words[i]) == len && !memcmp(extra_words[i], p, len)))
            i++;
        if (i < NEXTRA)
            fuzz_env.extra |= 1u << i;
        else if (!(len == 4 && !memcmp(p, "none", 4)))
            cfg_bad("fuzz_extra", arg, "each item must be one of none, fatal, tcgcr");
        p = *end ? end + 1 : end;
    }
}

void fuzz_force_extra(unsigned bits)
{
    fuzz_env.extra |= bits;
}

static void probe_cpu(void)
{
    uint32_t a, b, c, d, vendor[3];

    cpuid(0, 0, &a, &vendor[0], &vendor[2], &vendor[1]);
    fuzz_env.amd = memcmp(vendor, "AuthenticAMD", 12) == 0;
    cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
    fuzz_env.xsave = (c & CPUID_ECX_XSAVE) != 0;
    cpuid(CPUID_EXT_MAX, 0, &a, &b, &c, &d);
    fuzz_env.maxphy = MAXPHY_DEFAULT;
    if (a >= CPUID_ADDR_SIZES) {
        cpuid(CPUID_ADDR_SIZES, 0, &a, &b, &c, &d);
        fuzz_env.maxphy = a & MAXPHY_MASK;
    }
    fuzz_env.mem = env.bi->mem_bytes;
}

uint64_t fuzz_value(uint64_t *rng)
{
    uint64_t mem = fuzz_env.mem;
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

void fuzz_note(const struct fuzz_op *op)
{
    char *line = oplog.text[done % PV_OPLOG_LINES];
    pv_snprintf(line, PV_OPLOG_LINE, "%lu %s 0x%lx 0x%lx", done, op->name, op->a, op->b);
    __atomic_store_n(&oplog.next, done + 1, __ATOMIC_RELEASE);
}

/* Adds the outcome to the op's log line once it has run. */
static void note_result(const struct fuzz_op *op)
{
    char *line = oplog.text[done % PV_OPLOG_LINES];
    size_t len = strlen(line);
    if (op->vector != FUZZ_NO_FAULT)
        pv_snprintf(line + len, PV_OPLOG_LINE - len, " -> #%d", op->vector);
    else
        pv_snprintf(line + len, PV_OPLOG_LINE - len, " -> %ld", op->r);
}

static unsigned pick(uint64_t *rng, unsigned total)
{
    uint64_t w = pv_rng_below(rng, total);
    for (unsigned i = 0; i < NKINDS; i++) {
        if (kinds[i].needs && !(fuzz_env.extra & kinds[i].needs))
            continue;
        if (w < kinds[i].weight)
            return i;
        w -= kinds[i].weight;
    }
    return 0;
}

static void report(void)
{
    char json[PV_REPORT_MAX - 64];
    int n = pv_snprintf(json, sizeof(json), "{\"kind\":\"fuzz\",\"ops\":%lu,\"faults\":%lu,"
                        "\"oplog\":%s", done, faults, oplog_on ? "true" : "false");
    for (unsigned i = 0; i < NKINDS; i++)
        n += pv_snprintf(json + n, sizeof(json) - (size_t)n, ",\"%s\":%lu", kinds[i].name,
                         per_kind[i]);
    n += pv_snprintf(json + n, sizeof(json) - (size_t)n, "}");
    report_json(json, (size_t)n);
}

static enum guest_fail_code run(unsigned cpu)
{
    unsigned total = 0;

    if (cpu != 0 || !env.pv)
        return FAIL_NONE;
    probe_cpu();
    for (unsigned i = 0; i < NKINDS; i++)
        if (!kinds[i].needs || (fuzz_env.extra & kinds[i].needs))
            total += kinds[i].weight;
    oplog_on = hypercall4(PV_HC_OPLOG, (uintptr_t)&oplog, 0, 0, 0) == 0;
    if (!oplog_on)
        kprintf("fuzz: PV_HC_OPLOG refused the op log; a kill will not name the op\n");
    uint64_t rng = env.bi->seed * FUZZ_SEED_MIX + 1;
    for (done = 0; done < nr_ops; done++) {
        unsigned k = pick(&rng, total);
        struct fuzz_op op = { .name = kinds[k].name, .vector = FUZZ_NO_FAULT };
        kinds[k].fn(&rng, &op);
        per_kind[k]++;
        faults += op.vector != FUZZ_NO_FAULT;
        note_result(&op);
    }
    for (uint64_t i = done > PV_OPLOG_LINES ? done - PV_OPLOG_LINES : 0; i < done; i++)
        kprintf("fuzz: op %s\n", oplog.text[i % PV_OPLOG_LINES]);
    report();
    return FAIL_NONE;
}

const struct task task_fuzz = {
    .name = "fuzz",
    .configure = configure,
    .run = run,
};
