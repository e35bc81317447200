/*
 * Backend selection, once at boot (Xen hvm.c style): the CPU vendor picks
 * VMX on Intel and SVM on AMD; `backend=svm|vmx` forces one and fails with
 * the missing feature named when the CPU lacks it. It sits above hv/virt
 * and both backends, the one place that names them all.
 */
#include "backend.h"

#include "fmt.h"
#include "pvstring.h"
#include "core/x86.h"

#define CPUID_VENDOR_AMD_EBX 0x68747541u   /* "Auth" */

const struct virt_ops *virt_probe(const char *forced, char *err, unsigned errlen)
{
    char why_first[160], why_second[160];

    virt_features[0] = '\0';

    if (!strcmp(forced, "svm") || !strcmp(forced, "vmx")) {
        int svm = !strcmp(forced, "svm");
        const struct virt_ops *ops = svm ? svm_probe(&virt_caps, why_first, sizeof(why_first))
                                         : vmx_probe(&virt_caps, why_first, sizeof(why_first));
        if (!ops)
            pv_snprintf(err, errlen, "backend=%s: %s", forced, why_first);
        else
            virt_apply_caps();
        return ops;
    }
    /* auto: the vendor's own extension first, the other as a fallback
       (an emulator may offer the "wrong" one). */
    uint32_t a, b, c, d;
    cpuid(CPUID_VENDOR, 0, &a, &b, &c, &d);
    int amd = b == CPUID_VENDOR_AMD_EBX;
    const struct virt_ops *(*first)(struct virt_caps *, char *, unsigned) = amd ? svm_probe : vmx_probe;
    const struct virt_ops *(*second)(struct virt_caps *, char *, unsigned) = amd ? vmx_probe : svm_probe;
    const struct virt_ops *ops = first(&virt_caps, why_first, sizeof(why_first));
    if (!ops)
        ops = second(&virt_caps, why_second, sizeof(why_second));
    if (!ops)
        pv_snprintf(err, errlen, "no usable virtualization backend: %s; %s",
                    why_first, why_second);
    else
        virt_apply_caps();
    return ops;
}
