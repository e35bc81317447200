/*
 * task=xstate: register state that neither VMX nor SVM switches between
 * guests (issue 13 review item 6). Every vCPU puts a pattern of its own
 * (from its VM and vCPU ids) into xmm0-xmm15, DR0-DR3, CR2 and, where the
 * CPU offers protection keys, PKRU; then for duration= ms it reads them
 * back, over and over. With two VMs on one pCPU the other VM runs between
 * two reads and writes its own pattern: any difference is a value another
 * vCPU left behind, i.e. a leak. The rounds in which this vCPU's steal time
 * grew count the times another vCPU ran in between (the test needs some).
 * DR7 stays 0x400, so the addresses in DR0-DR3 never trigger.
 */
#include "tasks.h"
#include "pv_options.h"
#include "config.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "report.h"
#include "steal.h"
#include "tsc.h"

#define XMM_REGS 16
#define DR_ADDR_REGS 4
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_PKE (1ull << 22)
#define CPUID_7_ECX_PKU (1u << 3)
#define CPUID_LEAF_7 7u
#define PATTERN_BASE 0x00007A0000000000ull   /* canonical: DR0-3 hold addresses */
#define PKRU_KEY0_BITS 3u                     /* key 0 (all guest pages) stays open */
#define XSTATE_JSON_MAX 200

static uint64_t duration_ms;

static void configure(void)
{
    duration_ms = cfg_u64("duration", PV_OPT_DURATION_MS, 1, PV_OPT_DURATION_MAX_MS);
}

struct regs_view {
    uint64_t xmm[XMM_REGS][2];
    uint64_t dr[DR_ADDR_REGS];
    uint64_t cr2;
    uint32_t pkru;
};

#define XMM_ALL(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) \
                    op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define XMM_LOAD(n) "movdqu " #n "*16(%0), %%xmm" #n "\n\t"
#define XMM_STORE(n) "movdqu %%xmm" #n ", " #n "*16(%0)\n\t"

static void put_regs(const struct regs_view *r, int pku)
{
    __asm__ volatile(XMM_ALL(XMM_LOAD) : : "r"(r->xmm) : "memory");
    __asm__ volatile("mov %0, %%dr0" : : "r"(r->dr[0]));
    __asm__ volatile("mov %0, %%dr1" : : "r"(r->dr[1]));
    __asm__ volatile("mov %0, %%dr2" : : "r"(r->dr[2]));
    __asm__ volatile("mov %0, %%dr3" : : "r"(r->dr[3]));
    __asm__ volatile("mov %0, %%cr2" : : "r"(r->cr2));
    if (pku)
        __asm__ volatile("wrpkru" : : "a"(r->pkru), "c"(0), "d"(0));
}

static void get_regs(struct regs_view *r, int pku)
{
    __asm__ volatile(XMM_ALL(XMM_STORE) : : "r"(r->xmm) : "memory");
    __asm__ volatile("mov %%dr0, %0" : "=r"(r->dr[0]));
    __asm__ volatile("mov %%dr1, %0" : "=r"(r->dr[1]));
    __asm__ volatile("mov %%dr2, %0" : "=r"(r->dr[2]));
    __asm__ volatile("mov %%dr3, %0" : "=r"(r->dr[3]));
    __asm__ volatile("mov %%cr2, %0" : "=r"(r->cr2));
    r->pkru = 0;
    if (pku)
        __asm__ volatile("rdpkru" : "=a"(r->pkru) : "c"(0) : "rdx");
}

/* Which part differs ("" if none). */
static const char *differs(const struct regs_view *a, const struct regs_view *b)
{
    for (unsigned i = 0; i < XMM_REGS; i++)
        if (a->xmm[i][0] != b->xmm[i][0] || a->xmm[i][1] != b->xmm[i][1])
            return "xmm";
    for (unsigned i = 0; i < DR_ADDR_REGS; i++)
        if (a->dr[i] != b->dr[i])
            return "dr0-3";
    if (a->cr2 != b->cr2)
        return "cr2";
    if (a->pkru != b->pkru)
        return "pkru";
    return "";
}

static int cpu_has_pku(void)
{
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    if (a < CPUID_LEAF_7)
        return 0;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(CPUID_LEAF_7), "c"(0));
    return (c & CPUID_7_ECX_PKU) != 0;
}

static enum guest_fail_code xstate_run(unsigned cpu)
{
    struct regs_view want, seen;
    int pku = cpu_has_pku();
    uint64_t id = ((uint64_t)env.bi->vm_id << 24) | ((uint64_t)cpu << 16);
    uint64_t cr4;

    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | (pku ? CR4_PKE : 0);
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
    for (unsigned i = 0; i < XMM_REGS; i++) {
        want.xmm[i][0] = PATTERN_BASE | id | i;
        want.xmm[i][1] = ~want.xmm[i][0];
    }
    for (unsigned i = 0; i < DR_ADDR_REGS; i++)
        want.dr[i] = PATTERN_BASE | id | (0x100u << i);
    want.cr2 = PATTERN_BASE | id | 0xC2;
    want.pkru = pku ? (uint32_t)(0x5554u ^ (env.bi->vm_id << 8) ^ (cpu << 4)) & ~PKRU_KEY0_BITS : 0;
    put_regs(&want, pku);

    uint64_t rounds = 0, switches = 0, mismatches = 0, last_steal = steal_ns(cpu);
    const char *first = "";
    uint64_t deadline = rdtsc() + tsc_ms_to_cycles(duration_ms);
    while (rdtsc() < deadline) {
        get_regs(&seen, pku);
        const char *d = differs(&want, &seen);
        if (*d) {
            if (!mismatches++) {
                first = d;
                kprintf("xstate: vcpu %u found %s changed (xmm0 %lx, dr0 %lx, cr2 %lx, "
                        "pkru %x; its own: %lx, %lx, %lx, %x)\n", cpu, d, seen.xmm[0][0],
                        seen.dr[0], seen.cr2, seen.pkru, want.xmm[0][0], want.dr[0],
                        want.cr2, want.pkru);
            }
            put_regs(&want, pku);
        }
        uint64_t s = steal_ns(cpu);
        switches += s != last_steal;
        last_steal = s;
        rounds++;
    }
    uint64_t off = 0;
    __asm__ volatile("mov %0, %%dr0; mov %0, %%dr1; mov %0, %%dr2; mov %0, %%dr3"
                     : : "r"(off));
    char json[XSTATE_JSON_MAX];
    int n = pv_snprintf(json, sizeof(json), "{\"kind\":\"xstate\",\"rounds\":%lu,"
                        "\"switches_seen\":%lu,\"mismatches\":%lu,\"first\":\"%s\",\"pkru\":%s}",
                        rounds, switches, mismatches, first, pku ? "true" : "false");
    report_json(json, (size_t)n);
    return mismatches ? FAIL_VIOLATIONS : FAIL_NONE;
}

const struct task task_xstate = {
    .name = "xstate",
    .configure = configure,
    .run = xstate_run,
};
