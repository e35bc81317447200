/*
 * task=fuzz: privileged and virtualization instructions, each tried once
 * with random registers and a random memory operand: Intel VMX and AMD SVM
 * instructions (the other vendor's raise #UD in hardware, the own ones exit
 * and must come back as #UD), cache and TLB control, RDPMC, descriptor-table
 * and segment instructions, FXRSTOR of random state, a single-step through
 * an exiting instruction. The guest catches whatever it raises itself.
 */
#include "fuzz.h"

#include "arch.h"
#include "cpu.h"
#include "pv_abi.h"
#include "rng.h"

#define SCRATCH_QWORDS 512
#define SCRATCH_RANDOM 64           /* qwords refilled per op */
#define FXSAVE_ALIGN 16
#define PMC_SMALL 8

static uint64_t scratch[SCRATCH_QWORDS] __attribute__((aligned(PAGE_SIZE)));

enum insn {
    I_VMXON, I_VMXOFF, I_VMCLEAR, I_VMPTRLD, I_VMPTRST, I_VMREAD, I_VMWRITE, I_VMLAUNCH,
    I_VMRESUME, I_INVEPT, I_INVVPID, I_VMFUNC, I_VMCALL, I_VMMCALL, I_VMRUN, I_VMLOAD,
    I_VMSAVE, I_STGI, I_CLGI, I_SKINIT, I_INVLPGA, I_RDPMC, I_WBINVD, I_INVD, I_MONITOR,
    I_MWAIT, I_RDTSCP, I_RDRAND, I_RDSEED, I_XGETBV, I_CLTS, I_INVLPG, I_INVPCID, I_SGDT,
    I_SIDT, I_SLDT, I_STR, I_LLDT, I_LTR, I_SWAPGS, I_INT3, I_UD2, I_GETSEC, I_FXSAVE,
    I_FXRSTOR, I_SINGLESTEP, I_WBNOINVD, I_RDPID, I_ENCLS, I_PCONFIG, I_MOVDS, I_COUNT
};

static const char *const names[I_COUNT] = {
    "vmxon", "vmxoff", "vmclear", "vmptrld", "vmptrst", "vmread", "vmwrite", "vmlaunch",
    "vmresume", "invept", "invvpid", "vmfunc", "vmcall", "vmmcall", "vmrun", "vmload",
    "vmsave", "stgi", "clgi", "skinit", "invlpga", "rdpmc", "wbinvd", "invd", "monitor",
    "mwait", "rdtscp", "rdrand", "rdseed", "xgetbv", "clts", "invlpg", "invpcid", "sgdt",
    "sidt", "sldt", "str", "lldt", "ltr", "swapgs", "int3", "ud2", "getsec", "fxsave",
    "fxrstor", "singlestep", "wbnoinvd", "rdpid", "encls", "pconfig", "movds",
};

/* rax = a, rcx = b, rdx = d, rsi = the scratch page; all may change. */
#define TRY(text) \
    __asm__ volatile(FUZZ_CATCH text "\n9:" : "+a"(a), "+c"(b), "+d"(d) : "S"(scratch) \
                     : "r11", "memory", "cc")

/* Hypercall numbers a bare VMCALL/VMMCALL must not use: RBX is whatever
   the compiler left there, so these could end the VM or aim the hypervisor
   at this kernel's memory. */
static uint64_t safe_hypercall(uint64_t nr)
{
    if (nr == PV_HC_VM_DONE || nr == PV_HC_CONSOLE_WRITE || nr == PV_HC_LOCKINFO ||
        nr == PV_HC_OPLOG || nr == PV_HC_VCPU_START || nr == PV_HC_REPORT)
        return PV_HC_BASE + 0x100;
    return nr;
}

static void run_insn(enum insn i, uint64_t a, uint64_t b, uint64_t d)
{
    switch (i) {
    case I_VMXON: TRY("vmxon (%%rsi)"); break;
    case I_VMXOFF: TRY("vmxoff"); break;
    case I_VMCLEAR: TRY("vmclear (%%rsi)"); break;
    case I_VMPTRLD: TRY("vmptrld (%%rsi)"); break;
    case I_VMPTRST: TRY("vmptrst (%%rsi)"); break;
    case I_VMREAD: TRY("vmread %%rax, %%rcx"); break;
    case I_VMWRITE: TRY("vmwrite %%rax, %%rcx"); break;
    case I_VMLAUNCH: TRY("vmlaunch"); break;
    case I_VMRESUME: TRY("vmresume"); break;
    case I_INVEPT: TRY("invept (%%rsi), %%rax"); break;
    case I_INVVPID: TRY("invvpid (%%rsi), %%rax"); break;
    case I_VMFUNC: TRY(".byte 0x0f, 0x01, 0xd4"); break;
    case I_VMCALL: TRY("vmcall"); break;
    case I_VMMCALL: TRY("vmmcall"); break;
    case I_VMRUN: TRY("vmrun"); break;
    case I_VMLOAD: TRY("vmload"); break;
    case I_VMSAVE: TRY("vmsave"); break;
    case I_STGI: TRY("stgi"); break;
    case I_CLGI: TRY("clgi"); break;
    case I_SKINIT: TRY("skinit"); break;
    case I_INVLPGA: TRY("invlpga"); break;
    case I_RDPMC: TRY("rdpmc"); break;
    case I_WBINVD: TRY("wbinvd"); break;
    case I_INVD: TRY("invd"); break;
    case I_MONITOR: TRY("movq %%rsi, %%rax\n\txorl %%ecx, %%ecx\n\txorl %%edx, %%edx\n\tmonitor");
        break;
    case I_MWAIT: TRY("xorl %%eax, %%eax\n\txorl %%ecx, %%ecx\n\tmwait"); break;
    case I_RDTSCP: TRY("rdtscp"); break;
    case I_RDRAND: TRY("rdrand %%rax"); break;
    case I_RDSEED: TRY("rdseed %%rax"); break;
    case I_XGETBV: TRY("xgetbv"); break;
    case I_CLTS: TRY("clts"); break;
    case I_INVLPG: TRY("invlpg (%%rax)"); break;
    case I_INVPCID: TRY("invpcid (%%rsi), %%rax"); break;
    case I_SGDT: TRY("sgdt (%%rsi)"); break;
    case I_SIDT: TRY("sidt (%%rsi)"); break;
    case I_SLDT: TRY("sldt (%%rsi)"); break;
    case I_STR: TRY("str (%%rsi)"); break;
    case I_LLDT: TRY("lldt %%ax"); break;
    case I_LTR: TRY("ltr %%ax"); break;
    case I_SWAPGS: TRY("swapgs\n\tswapgs"); break;
    case I_INT3: TRY("int3"); break;
    case I_UD2: TRY("ud2"); break;
    case I_GETSEC: TRY("getsec"); break;
    case I_FXSAVE: TRY("fxsave (%%rsi)"); break;
    case I_FXRSTOR: TRY("fxrstor (%%rsi)"); break;
    case I_SINGLESTEP:  /* TF across CPUID, which exits: the #DB (if any) resumes at 9 */
        __asm__ volatile(FUZZ_CATCH "pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\tcpuid\n\tnop\n"
                         "9:\tpushfq\n\tandq $~0x100, (%%rsp)\n\tpopfq"
                         : "+a"(a), "+c"(b), "+d"(d) : : "rbx", "r11", "memory", "cc");
        break;
    case I_WBNOINVD: TRY(".byte 0xf3, 0x0f, 0x09"); break;
    case I_RDPID: TRY(".byte 0xf3, 0x0f, 0xc7, 0xf8"); break;
    case I_ENCLS: TRY(".byte 0x0f, 0x01, 0xcf"); break;
    case I_PCONFIG: TRY(".byte 0x0f, 0x01, 0xc5"); break;
    case I_MOVDS: TRY("movw %%ax, %%ds\n9:\tmovw %%dx, %%ds\n8:"); break;
    default: break;
    }
}

void fuzz_insn(uint64_t *rng, struct fuzz_op *op)
{
    enum insn i = (enum insn)pv_rng_below(rng, I_COUNT);
    uint64_t a = fuzz_value(rng), b = fuzz_value(rng), d = 0;

    for (unsigned q = 0; q < SCRATCH_RANDOM; q++)
        scratch[q] = pv_rng_below(rng, 2) ? fuzz_value(rng) : pv_rng_next(rng);
    if (i == I_VMCALL || i == I_VMMCALL)
        a = safe_hypercall(a);
    if (i == I_RDPMC && pv_rng_below(rng, 2))
        b = pv_rng_below(rng, PMC_SMALL);
    if (i == I_MOVDS)
        d = SEL_DATA;
    if (i == I_FXRSTOR && pv_rng_below(rng, 2))   /* a valid MXCSR half the time */
        ((uint32_t *)scratch)[6] = (uint32_t)pv_rng_below(rng, 0x10000);
    op->name = names[i];
    op->a = a;
    op->b = b;
    fuzz_note(op);
    fuzz_arm();
    run_insn(i, a, b, d);
    fuzz_caught(op);
    op->r = (long)a;
}
