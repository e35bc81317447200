/*
 * Which CR4 bits a guest may set: the ones whose feature this CPU's CPUID
 * reports (a bit without its feature is reserved, #GP on a MOV to CR4),
 * less VMXE and SMXE, whose features pvhv's CPUID hides or a guest cannot
 * use. Both backends check CR4 writes against it (hv/virt/cr_check.h).
 */
#include "cr.h"

#include "../core/x86.h"

/* CPUID.1 EDX / ECX, CPUID.7.0 EBX / ECX: the feature behind each bit. */
#define CPUID_1_EDX_VME      (1u << 1)
#define CPUID_1_EDX_DE       (1u << 2)
#define CPUID_1_EDX_PSE      (1u << 3)
#define CPUID_1_EDX_TSC      (1u << 4)
#define CPUID_1_EDX_PAE      (1u << 6)
#define CPUID_1_EDX_MCE      (1u << 7)
#define CPUID_1_EDX_PGE      (1u << 13)
#define CPUID_1_EDX_FXSR     (1u << 24)
#define CPUID_1_EDX_SSE      (1u << 25)
#define CPUID_1_ECX_PCID     (1u << 17)
#define CPUID_1_ECX_XSAVE    (1u << 26)
#define CPUID_7_EBX_FSGSBASE (1u << 0)
#define CPUID_7_EBX_SMEP     (1u << 7)
#define CPUID_7_EBX_SMAP     (1u << 20)
#define CPUID_7_ECX_UMIP     (1u << 2)
#define CPUID_7_ECX_PKU      (1u << 3)
#define CPUID_7_ECX_CET_SS   (1u << 7)
#define CPUID_7_ECX_LA57     (1u << 16)

enum cpuid_reg { R1_EDX, R1_ECX, R7_EBX, R7_ECX, NR_REGS };

static const struct { uint64_t cr4_bit; uint8_t reg; uint32_t feature; } cr4_features[] = {
    { CR4_VME, R1_EDX, CPUID_1_EDX_VME },
    { CR4_PVI, R1_EDX, CPUID_1_EDX_VME },
    { CR4_TSD, R1_EDX, CPUID_1_EDX_TSC },
    { CR4_DE, R1_EDX, CPUID_1_EDX_DE },
    { CR4_PSE, R1_EDX, CPUID_1_EDX_PSE },
    { CR4_PAE, R1_EDX, CPUID_1_EDX_PAE },
    { CR4_MCE, R1_EDX, CPUID_1_EDX_MCE },
    { CR4_PGE, R1_EDX, CPUID_1_EDX_PGE },
    { CR4_OSFXSR, R1_EDX, CPUID_1_EDX_FXSR },
    { CR4_OSXMMEXCPT, R1_EDX, CPUID_1_EDX_SSE },
    { CR4_UMIP, R7_ECX, CPUID_7_ECX_UMIP },
    { CR4_LA57, R7_ECX, CPUID_7_ECX_LA57 },
    { CR4_FSGSBASE, R7_EBX, CPUID_7_EBX_FSGSBASE },
    { CR4_PCIDE, R1_ECX, CPUID_1_ECX_PCID },
    { CR4_OSXSAVE, R1_ECX, CPUID_1_ECX_XSAVE },
    { CR4_SMEP, R7_EBX, CPUID_7_EBX_SMEP },
    { CR4_SMAP, R7_EBX, CPUID_7_EBX_SMAP },
    { CR4_PKE, R7_ECX, CPUID_7_ECX_PKU },
    { CR4_CET, R7_ECX, CPUID_7_ECX_CET_SS },
};

static uint64_t supported;

uint64_t cr4_supported(void)
{
    uint64_t s = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (s)
        return s;
    uint32_t r[NR_REGS] = { 0 }, max, a, b, c, d;
    cpuid(CPUID_VENDOR, 0, &max, &b, &c, &d);
    cpuid(CPUID_FEATURES, 0, &a, &b, &r[R1_ECX], &r[R1_EDX]);
    if (max >= CPUID_STRUCT_EXT)
        cpuid(CPUID_STRUCT_EXT, 0, &a, &r[R7_EBX], &r[R7_ECX], &d);
    s = CR4_PCE;   /* performance counters at CPL 3: every CPU */
    for (unsigned i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++)
        if (r[cr4_features[i].reg] & cr4_features[i].feature)
            s |= cr4_features[i].cr4_bit;
    __atomic_store_n(&supported, s, __ATOMIC_RELAXED);
    return s;
}
