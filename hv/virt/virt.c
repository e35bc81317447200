/*
 * Backend selection, once at boot (Xen hvm.c style): the CPU vendor picks
 * VMX on Intel and SVM on AMD; `backend=svm|vmx` forces one and fails with
 * the missing feature named when the CPU lacks it.
 */
#include "virt.h"

#include "fmt.h"
#include "pvstring.h"
#include "../core/panic.h"
#include "../core/percpu.h"
#include "../core/x86.h"

#define CPUID_VENDOR_AMD_EBX 0x68747541u   /* "Auth" */

const struct virt_ops *virt;
struct virt_settings virt_settings;
char virt_features[VIRT_FEATURES_MAX];

uint32_t virt_off_bits(const char *w)
{
    static const struct { const char *name; uint32_t bits; } words[] = {
        { "none", 0 }, { "vpid", VIRT_OFF_VPID }, { "preempt_timer", VIRT_OFF_PREEMPT_TIMER },
        { "ple", VIRT_OFF_PLE }, { "nrips", VIRT_OFF_NRIPS },
        { "pause_filter", VIRT_OFF_PAUSE_FILTER }, { "flush_asid", VIRT_OFF_FLUSH_ASID },
        { "vmcb_clean", VIRT_OFF_VMCB_CLEAN }, { "all", ~0u },
    };
    for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(w, words[i].name))
            return words[i].bits;
    panic("hw_off=%s passed cfg validation but has no meaning here", w);
}

void virt_feature_use(const char *name)
{
    size_t len = strlen(virt_features), add = strlen(name) + (len ? 1 : 0);
    if (len + add >= VIRT_FEATURES_MAX)
        panic("virt_features overflows at '%s'", name);
    if (len)
        virt_features[len++] = ' ';
    memcpy(virt_features + len, name, strlen(name) + 1);
}

const struct virt_ops *virt_probe(const char *forced, char *err, unsigned errlen)
{
    char why_first[160], why_second[160];

    virt_features[0] = '\0';

    if (!strcmp(forced, "svm") || !strcmp(forced, "vmx")) {
        int svm = !strcmp(forced, "svm");
        const struct virt_ops *ops = svm ? svm_probe(why_first, sizeof(why_first))
                                         : vmx_probe(why_first, sizeof(why_first));
        if (!ops)
            pv_snprintf(err, errlen, "backend=%s: %s", forced, why_first);
        return ops;
    }
    /* auto: the vendor's own extension first, the other as a fallback
       (an emulator may offer the "wrong" one). */
    uint32_t a, b, c, d;
    cpuid(CPUID_VENDOR, 0, &a, &b, &c, &d);
    int amd = b == CPUID_VENDOR_AMD_EBX;
    const struct virt_ops *(*first)(char *, unsigned) = amd ? svm_probe : vmx_probe;
    const struct virt_ops *(*second)(char *, unsigned) = amd ? vmx_probe : svm_probe;
    const struct virt_ops *ops = first(why_first, sizeof(why_first));
    if (!ops)
        ops = second(why_second, sizeof(why_second));
    if (!ops)
        pv_snprintf(err, errlen, "no usable virtualization backend: %s; %s",
                    why_first, why_second);
    return ops;
}

void virt_cpu_enable(struct percpu *cpu)
{
    char err[160];
    if (virt->cpu_enable(cpu, err, sizeof(err)))
        panic("cannot enable %s on pCPU %u: %s", virt->name, cpu->index, err);
}
