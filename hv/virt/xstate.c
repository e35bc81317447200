/*
 * Switching the guest register state no hardware switches (see xstate.h).
 * The XSAVE feature set is used when CPUID offers it, with XCR0 = x87, SSE,
 * AVX and PKRU as far as supported (guests cannot change XCR0: XSETBV gets
 * #UD); otherwise FXSAVE, which holds x87 and SSE.
 */
#include "xstate.h"

#include "fmt.h"
#include "vcpu.h"
#include "virt.h"
#include "../core/panic.h"
#include "../core/x86.h"
#include "../mm/page.h"

#define CPUID_1_ECX_XSAVE   (1u << 26)
#define CPUID_XSAVE_LEAF    0x0000000Du
#define XCR0_X87            (1ull << 0)
#define XCR0_SSE            (1ull << 1)
#define XCR0_AVX            (1ull << 2)
#define XCR0_PKRU           (1ull << 9)
#define XCR0_WANTED         (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_PKRU)
#define FXSAVE_FCW_OFF      0       /* legacy area: x87 control word */
#define FXSAVE_MXCSR_OFF    24
#define FCW_RESET           0x037Fu /* after FNINIT: every exception masked */
#define MXCSR_RESET         0x1F80u
#define XSAVE_ALIGN         64

/* Write a debug or control register only when its value changes. */
#define LOAD_IF_CHANGED(reg, val)                                              \
    do {                                                                       \
        uint64_t cur_, want_ = (val);                                          \
        __asm__ volatile("mov %%" reg ", %0" : "=r"(cur_));                    \
        if (cur_ != want_)                                                     \
            __asm__ volatile("mov %0, %%" reg : : "r"(want_) : "memory");      \
    } while (0)

static int use_xsave;
static uint64_t xcr0;

static inline void xsetbv(uint32_t idx, uint64_t val)
{
    __asm__ volatile("xsetbv" : : "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

void xstate_cpu_init(void)
{
    uint32_t a, b, c, d;

    cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
    use_xsave = (c & CPUID_1_ECX_XSAVE) != 0;
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | (use_xsave ? CR4_OSXSAVE : 0));
    if (!use_xsave)
        return;
    cpuid(CPUID_XSAVE_LEAF, 0, &a, &b, &c, &d);
    xcr0 = (((uint64_t)d << 32) | a) & XCR0_WANTED;
    xsetbv(0, xcr0);
    cpuid(CPUID_XSAVE_LEAF, 0, &a, &b, &c, &d);   /* EBX: size for this XCR0 */
    if (b > PAGE_SIZE)
        panic("the XSAVE area for XCR0 0x%lx is %u bytes, more than a page", xcr0, b);
}

int xstate_vcpu_init(struct vcpu *v)
{
    uint8_t *area = page_alloc_zeroed();   /* page-aligned: XSAVE's 64 bytes too */
    if (!area)
        return -1;
    _Static_assert(PAGE_SIZE % XSAVE_ALIGN == 0, "page-aligned is XSAVE-aligned");
    /* A zero XSAVE header means every component in its init state; the
       legacy FCW and MXCSR are still read, so give them their reset values. */
    *(uint16_t *)(area + FXSAVE_FCW_OFF) = FCW_RESET;
    *(uint32_t *)(area + FXSAVE_MXCSR_OFF) = MXCSR_RESET;
    v->xstate = area;
    return 0;
}

static void load_drs(struct vcpu *v)
{
    LOAD_IF_CHANGED("dr0", v->dr[0]);
    LOAD_IF_CHANGED("dr1", v->dr[1]);
    LOAD_IF_CHANGED("dr2", v->dr[2]);
    LOAD_IF_CHANGED("dr3", v->dr[3]);
}

/*
 * Debug registers are switched lazily, as KVM does: a vCPU starts with
 * every MOV to or from DR0-7 intercepted, so while it has not touched them
 * the values another vCPU left in DR0-3 cannot reach it, and nothing is
 * saved or loaded for it (its DR7, in the VMCB/VMCS, enables nothing). Its
 * first access exits here: its own DR0-3 go live, the intercept goes and
 * the instruction runs again; from then on DR0-3 follow it on and off the
 * pCPU. Besides saving four serialising MOVs per switch on hardware, this
 * makes rarer, but does not remove, a failure seen only under QEMU 7.2's
 * multi-threaded TCG: with DR0-3 and the FPU state switched on every vCPU
 * switch, 2 VMs x 2 vCPUs (cfs, ple=on) on a loaded host triple-fault a
 * guest or pvhv itself, a page walk of intact tables right after a world
 * switch finding nothing present. Bisected to cfab22d; 0 in 150 boots
 * each with either part left out; with this scheme 1 in 350, against 2 in
 * 150 for the old one run at the same time (README, "Known defects").
 */
void xstate_dr_activate(struct vcpu *v)
{
    if (v->dr_active)
        return;
    v->dr_active = 1;
    load_drs(v);
    virt->dr_intercept_off(v);
}

void xstate_load(struct vcpu *v)
{
    if (use_xsave)
        __asm__ volatile("xrstor64 (%0)" : : "r"(v->xstate), "a"((uint32_t)xcr0),
                         "d"((uint32_t)(xcr0 >> 32)) : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" : : "r"(v->xstate) : "memory");
    if (v->dr_active)
        load_drs(v);
    /* VMX has no CR2 field; SVM's VMRUN loads the VMCB's, but Bochs' SVM
       (ryzen) was seen to leave the real CR2 alone: switching it here is
       right on both. */
    LOAD_IF_CHANGED("cr2", v->cr2);
}

void xstate_save(struct vcpu *v)
{
    if (use_xsave)
        __asm__ volatile("xsave64 (%0)" : : "r"(v->xstate), "a"((uint32_t)xcr0),
                         "d"((uint32_t)(xcr0 >> 32)) : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" : : "r"(v->xstate) : "memory");
    if (v->dr_active) {
        __asm__ volatile("mov %%dr0, %0" : "=r"(v->dr[0]));
        __asm__ volatile("mov %%dr1, %0" : "=r"(v->dr[1]));
        __asm__ volatile("mov %%dr2, %0" : "=r"(v->dr[2]));
        __asm__ volatile("mov %%dr3, %0" : "=r"(v->dr[3]));
    }
    __asm__ volatile("mov %%cr2, %0" : "=r"(v->cr2));
}
