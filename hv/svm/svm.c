/*
 * SVM probe, per-pCPU enable and the backend's ops table. The IOPM and MSRPM
 * are shared by every vCPU and intercept everything: port I/O and MSRs are
 * emulated (or refused) in hv/virt, so a guest never reaches host hardware.
 */
#include "svm.h"

#include "fmt.h"
#include "pvstring.h"
#include "../core/percpu.h"
#include "../core/x86.h"
#include "../mm/nested.h"
#include "../mm/page.h"
#include "../virt/virt.h"
#include "../virt/vm.h"

#define CPUID_VENDOR_AMD_EBX 0x68747541u   /* "Auth" */

uint32_t svm_features;
int svm_inject_exit_quirk;
uint32_t svm_nr_asids;
void *svm_iopm, *svm_msrpm;

static int svm_cpu_enable(struct percpu *cpu, char *err, unsigned errlen)
{
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        pv_snprintf(err, errlen, "SVM is disabled by the firmware (VM_CR.SVMDIS) on pCPU %u",
                    cpu->index);
        return -1;
    }
    struct svm_cpu *sc = page_alloc_zeroed();
    _Static_assert(sizeof(struct svm_cpu) <= 4096, "svm_cpu fits a page");
    sc->hsave = page_alloc_zeroed();
    sc->host_vmcb = page_alloc_zeroed();
    sc->host_vmcb_pa = (uint64_t)(uintptr_t)sc->host_vmcb;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)sc->hsave);
    /* Capture the host's FS/GS/TR/syscall state once; restored after each exit. */
    __asm__ volatile("vmsave %%rax" : : "a"(sc->host_vmcb_pa) : "memory");
    cpu->backend = sc;
    return 0;
}

static int svm_vm_init(struct vm *vm)
{
    static const struct nested_format npt = {
        .table_bits = NPT_P | NPT_RW | NPT_US,
        .leaf_2m_bits = NPT_P | NPT_RW | NPT_US | NPT_PS,
    };
    if (nested_map_2m(&vm->npt_root, &npt, 0, vm->mem_hpa, vm->mem_bytes))
        return -1;
    vm->npt_root_pa = (uint64_t)(uintptr_t)vm->npt_root;
    return 0;
}

static const struct virt_ops svm_ops = {
    .name = "svm",
    .cpu_enable = svm_cpu_enable,
    .vm_init = svm_vm_init,
    .vcpu_init = svm_vcpu_init,
    .vcpu_set_start = svm_set_start,
    .vcpu_run = svm_vcpu_run,
    .irq_window_open = svm_irq_window_open,
    .complete_shadowed_hlt = svm_complete_shadowed_hlt,
    .inject_irq = svm_inject_irq,
    .inject_exception = svm_inject_exception,
    .db_delivered = svm_db_delivered,
    .read_cr = svm_read_cr,
    .request_irq_window = svm_request_irq_window,
    .msr_read = svm_msr_read,
    .msr_write = svm_msr_write,
    .dump = svm_dump,
    .request_tlb_flush = svm_request_tlb_flush,
    .dr_intercept_off = svm_dr_intercept_off,
    .check_settings = svm_check_settings,
};

/* What the run record lists, and what hw_off= may take away. */
static void choose_features(uint32_t offered)
{
    static const struct { uint32_t feat, off; const char *name; } optional[] = {
        { SVM_FEAT_NRIPS, VIRT_OFF_NRIPS, "nrip_save" },
        { SVM_FEAT_FLUSH_BY_ASID, VIRT_OFF_FLUSH_ASID, "flush_by_asid" },
        { SVM_FEAT_VMCB_CLEAN, VIRT_OFF_VMCB_CLEAN, "vmcb_clean" },
        { SVM_FEAT_DECODE_ASSISTS, VIRT_OFF_DECODE, "decode_assists" },
        { SVM_FEAT_PAUSE_FILTER, VIRT_OFF_PAUSE_FILTER, "pause_filter" },
        { SVM_FEAT_PAUSE_THRESHOLD, VIRT_OFF_PAUSE_FILTER, "pause_filter_threshold" },
    };
    svm_features = SVM_FEAT_NP;
    virt_feature_use("npt");
    for (unsigned i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
        if (!(offered & optional[i].feat) || (virt_settings.hw_off & optional[i].off))
            continue;
        svm_features |= optional[i].feat;
        /* the filter is in use only when pause-loop detection is on */
        if ((optional[i].feat & (SVM_FEAT_PAUSE_FILTER | SVM_FEAT_PAUSE_THRESHOLD)) &&
            !virt_settings.ple)
            continue;
        virt_feature_use(optional[i].name);
    }
    if (!(svm_features & SVM_FEAT_PAUSE_FILTER))
        svm_features &= ~SVM_FEAT_PAUSE_THRESHOLD;
    virt_settings.ple_window_limit = SVM_PAUSE_FILTER_MAX;
}

/* QEMU's TCG names itself in the hypervisor leaf (its tcg-cpuid
   property, on by default); only there does svm_vcpu_run need its extra
   exit. Real AMD CPUs and other hypervisors (KVM nested) pay nothing. */
#define QEMU_TCG_SIGNATURE "TCGTCGTCGTCG"

static int under_qemu_tcg(void)
{
    uint32_t a, r[3];

    cpuid(CPUID_FEATURES, 0, &a, &r[0], &r[1], &r[2]);
    if (!(r[1] & CPUID_1_ECX_HYPERVISOR))
        return 0;
    cpuid(CPUID_HV_SIGNATURE, 0, &a, &r[0], &r[1], &r[2]);   /* EBX, ECX, EDX */
    return !memcmp(r, QEMU_TCG_SIGNATURE, sizeof(r));
}

const char *svm_check_settings(char *value, unsigned vlen, char *err, unsigned errlen)
{
    if (!virt_settings.ple_hw)
        return 0;
    if (virt_settings.ple_window > SVM_PAUSE_FILTER_MAX) {
        pv_snprintf(value, vlen, "%u", virt_settings.ple_window);
        pv_snprintf(err, errlen, "ple_window=%u: the SVM pause filter count is 16 bits; "
                    "allowed: 1..%u", virt_settings.ple_window, SVM_PAUSE_FILTER_MAX);
        return "ple_window";
    }
    if (virt_settings.ple_window_max > SVM_PAUSE_FILTER_MAX) {
        pv_snprintf(value, vlen, "%u", virt_settings.ple_window_max);
        pv_snprintf(err, errlen, "ple_window_max=%u: the SVM pause filter count is 16 bits; "
                    "allowed: 0 (= %u)..%u", virt_settings.ple_window_max,
                    SVM_PAUSE_FILTER_MAX, SVM_PAUSE_FILTER_MAX);
        return "ple_window_max";
    }
    if ((svm_features & SVM_FEAT_PAUSE_THRESHOLD) && virt_settings.ple_gap > SVM_PAUSE_FILTER_MAX) {
        pv_snprintf(value, vlen, "%u", virt_settings.ple_gap);
        pv_snprintf(err, errlen, "ple_gap=%u: the SVM pause filter threshold is 16 bits; "
                    "allowed: 0..%u", virt_settings.ple_gap, SVM_PAUSE_FILTER_MAX);
        return "ple_gap";
    }
    return 0;
}

const struct virt_ops *svm_probe(struct virt_caps *caps, char *err, unsigned errlen)
{
    uint32_t a, b, c, d;

    cpuid(CPUID_VENDOR, 0, &a, &b, &c, &d);
    uint32_t vendor_ebx = b;
    cpuid(CPUID_EXT_MAX, 0, &a, &b, &c, &d);
    uint32_t ext_max = a;
    if (ext_max < CPUID_EXT_FEATURES) {
        pv_snprintf(err, errlen, "the CPU has no extended CPUID leaves, so no SVM");
        return 0;
    }
    cpuid(CPUID_EXT_FEATURES, 0, &a, &b, &c, &d);
    if (!(c & CPUID_81_ECX_SVM) || ext_max < CPUID_SVM_FEATURES) {
        pv_snprintf(err, errlen, "the CPU (%s) does not offer AMD SVM%s",
                    vendor_ebx == CPUID_VENDOR_AMD_EBX ? "AMD" : "not AMD",
                    " (QEMU: -cpu ...,+svm,+npt)");
        return 0;
    }
    cpuid(CPUID_SVM_FEATURES, 0, &a, &b, &c, &d);
    if (!(d & SVM_FEAT_NP)) {
        pv_snprintf(err, errlen, "the CPU offers SVM without nested paging (NPT), which pvhv needs");
        return 0;
    }
    /* More ASIDs than SVM_MAX_ASIDS are simply not used (vCPUs share). */
    svm_nr_asids = b < SVM_MAX_ASIDS ? b : SVM_MAX_ASIDS;
    if (svm_nr_asids < 2) {
        pv_snprintf(err, errlen, "the CPU reports %u SVM ASIDs; at least 2 are needed", b);
        return 0;
    }
    choose_features(d);
    svm_inject_exit_quirk = under_qemu_tcg();
    if (svm_inject_exit_quirk)
        virt_feature_use("qemu_inject_exit");
    caps->pause_loop_hw = (svm_features & SVM_FEAT_PAUSE_FILTER) != 0;
    caps->slice_timer = 0;
    svm_iopm = pages_alloc_zeroed(IOPM_PAGES);
    memset(svm_iopm, 0xFF, IOPM_PAGES * 4096);
    svm_msrpm = pages_alloc_zeroed(MSRPM_PAGES);
    memset(svm_msrpm, 0xFF, MSRPM_PAGES * 4096);
    return &svm_ops;
}
