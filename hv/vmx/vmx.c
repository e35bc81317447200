/*
 * VMX probe, per-pCPU enable (IA32_FEATURE_CONTROL, CR0/CR4 fixed bits,
 * VMXON) and the backend's ops table. The I/O and MSR bitmaps are shared by
 * every vCPU and intercept everything, like the SVM IOPM/MSRPM: port I/O and
 * MSRs are emulated (or refused) in hv/virt, so a guest never reaches host
 * hardware — not even ports that look harmless (a guest must not be able to
 * reset the machine through 0xCF9 or disturb the host's COM1 and PIT).
 */
#include "vmx.h"

#include "fmt.h"
#include "pvstring.h"
#include "../core/percpu.h"
#include "../core/tss.h"
#include "../core/x86.h"
#include "../mm/nested.h"
#include "../mm/page.h"
#include "../virt/virt.h"
#include "../virt/vm.h"

#define CPUID_VENDOR_INTEL_EBX 0x756E6547u   /* "Genu" */

struct vmx_caps vmx_caps;
void *vmx_io_bitmaps, *vmx_msr_bitmap;

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static void save_host_state(struct vmx_cpu *vc, uint64_t tss_base)
{
    struct desc_ptr gdtr, idtr;
    uint16_t tr;

    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    __asm__ volatile("sidt %0" : "=m"(idtr));
    __asm__ volatile("str %0" : "=r"(tr));
    vc->gdtr_base = gdtr.base;
    vc->idtr_base = idtr.base;
    vc->tr_sel = tr;
    vc->tr_base = tss_base;
    vc->cr0 = read_cr0();
    vc->cr3 = read_cr3();
    vc->cr4 = read_cr4();
    vc->fs_base = rdmsr(MSR_FS_BASE);
    vc->gs_base = rdmsr(MSR_GS_BASE);   /* the per-CPU block */
    vc->efer = rdmsr(MSR_EFER);
    vc->pat = rdmsr(MSR_PAT);
}

static int vmx_cpu_enable(struct percpu *cpu, char *err, unsigned errlen)
{
    uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON;
        wrmsr(MSR_FEATURE_CONTROL, fc);
    }
    if (!(fc & FEATURE_CONTROL_VMXON)) {
        pv_snprintf(err, errlen, "VMX is disabled by the firmware (IA32_FEATURE_CONTROL "
                    "locked without VMXON outside SMX) on pCPU %u: enable VT-x in the setup",
                    cpu->index);
        return -1;
    }
    uint64_t tss_base = tss_install(cpu);    /* VMX needs a valid host TR */

    uint64_t cr0 = (read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1;
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
    write_cr4((read_cr4() | vmx_caps.cr4_fixed0 | CR4_VMXE) & vmx_caps.cr4_fixed1);

    struct vmx_cpu *vc = page_alloc_zeroed();
    _Static_assert(sizeof(struct vmx_cpu) <= 4096, "vmx_cpu fits a page");
    vc->index = cpu->index;
    vc->vmxon = page_alloc_zeroed();
    *(uint32_t *)vc->vmxon = vmx_caps.revision;
    if (vmxon((uint64_t)(uintptr_t)vc->vmxon)) {
        pv_snprintf(err, errlen, "VMXON failed on pCPU %u (CR0=0x%lx CR4=0x%lx)",
                    cpu->index, read_cr0(), read_cr4());
        return -1;
    }
    /* Nothing this CPU cached before VMXON belongs to our EPT roots. */
    if (vmx_caps.ept_vpid & EPT_CAP_INVEPT_ALL)
        invept(INVEPT_ALL, 0);
    if (vmx_caps.has_vpid && (vmx_caps.ept_vpid & VPID_CAP_INVVPID_ALL))
        invvpid(INVVPID_ALL, 0);
    save_host_state(vc, tss_base);
    /* With one pCPU no vCPU can move, so VMCSs stay active across slices;
       otherwise vmx_vcpu_put clears them at the end of each (vmx_load.c). */
    vmx_caps.keep_loaded = nr_pcpus == 1;
    cpu->backend = vc;
    return 0;
}

static int vmx_vm_init(struct vm *vm)
{
    /* Write-back memory for all of guest RAM, in 2 MiB pages. */
    static const struct nested_format ept = {
        .table_bits = EPT_READ | EPT_WRITE | EPT_EXEC,
        .leaf_2m_bits = EPT_READ | EPT_WRITE | EPT_EXEC |
                        (EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT) | EPT_LARGE,
    };
    if (nested_map_2m(&vm->npt_root, &ept, 0, vm->mem_hpa, vm->mem_bytes))
        return -1;
    vm->npt_root_pa = (uint64_t)(uintptr_t)vm->npt_root;
    return 0;
}

static const struct virt_ops vmx_ops = {
    .name = "vmx",
    .cpu_enable = vmx_cpu_enable,
    .vm_init = vmx_vm_init,
    .vcpu_init = vmx_vcpu_init,
    .vcpu_set_start = vmx_set_start,
    .vcpu_run = vmx_vcpu_run,
    .irq_window_open = vmx_irq_window_open,
    .inject_irq = vmx_inject_irq,
    .inject_exception = vmx_inject_exception,
    .db_delivered = vmx_db_delivered,
    .read_cr = vmx_read_cr,
    .request_irq_window = vmx_request_irq_window,
    .msr_read = vmx_msr_read,
    .msr_write = vmx_msr_write,
    .dump = vmx_dump,
    .request_tlb_flush = vmx_request_tlb_flush,
    .dr_intercept_off = vmx_dr_intercept_off,
    .slice_start = vmx_slice_start,
    .vcpu_load = vmx_vcpu_load,
    .vcpu_put = vmx_vcpu_put,
};

/* One control word: the wanted bits plus the must-be-one ones, minus the
   not-allowed ones; *missing collects wanted bits the CPU cannot set. */
static uint32_t adjust_ctls(uint32_t msr, uint32_t want, uint32_t *missing)
{
    uint64_t cap = rdmsr(msr);
    uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);
    *missing = want & ~may;
    return (want | must) & may;
}

static const struct virt_ops *refuse(char *err, unsigned errlen, const char *what,
                                     uint32_t bits)
{
    pv_snprintf(err, errlen, "the CPU's VMX lacks %s (missing control bits 0x%x), which pvhv needs",
                what, bits);
    return 0;
}

const struct virt_ops *vmx_probe(struct virt_caps *caps, char *err, unsigned errlen)
{
    uint32_t a, b, c, d, miss;

    cpuid(CPUID_VENDOR, 0, &a, &b, &c, &d);
    uint32_t vendor_ebx = b;
    cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
    if (!(c & CPUID_1_ECX_VMX)) {
        pv_snprintf(err, errlen, "the CPU (%s) does not offer Intel VMX%s",
                    vendor_ebx == CPUID_VENDOR_INTEL_EBX ? "Intel" : "not Intel",
                    " (CPUID.1:ECX.VMX = 0; nested KVM: modprobe kvm_intel nested=1)");
        return 0;
    }
    uint64_t basic = rdmsr(MSR_VMX_BASIC);
    int true_ctls = (basic & VMX_BASIC_TRUE_CTLS) != 0;
    vmx_caps.revision = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);
    vmx_caps.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
    vmx_caps.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
    vmx_caps.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
    vmx_caps.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);

    /* External interrupts exit and stay pending (no acknowledge-on-exit):
       the host takes them when vmx_vcpu_run re-enables interrupts. NMIs
       exit too (never delivered to the guest); vmx_vcpu_run passes them to
       the host handler. The
       preemption timer, where the CPU has it, ends time slices without a
       host interrupt; without it the scheduler's LAPIC timer does. */
    vmx_caps.pin = adjust_ctls(true_ctls ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS,
                               PIN_EXT_INT_EXIT | PIN_NMI_EXIT | PIN_PREEMPT_TIMER, &miss);
    if (miss & (PIN_EXT_INT_EXIT | PIN_NMI_EXIT))
        return refuse(err, errlen, "external-interrupt or NMI exiting",
                      miss & (PIN_EXT_INT_EXIT | PIN_NMI_EXIT));
    if (virt_settings.hw_off & VIRT_OFF_PREEMPT_TIMER)
        vmx_caps.pin &= ~PIN_PREEMPT_TIMER;   /* an allowed-0 control: never forced on */
    vmx_caps.has_preempt_timer = (vmx_caps.pin & PIN_PREEMPT_TIMER) != 0;
    vmx_caps.preempt_rate = (unsigned)(rdmsr(MSR_VMX_MISC) & VMX_MISC_PREEMPT_RATE_MASK);
    /* CR8 exits both ways (vmx_cr.c keeps a per-vCPU value): without it a
       guest's MOV to CR8 writes the host's LAPIC TPR. */
    vmx_caps.proc = adjust_ctls(true_ctls ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS,
                                PROC_HLT_EXIT | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
                                PROC_MWAIT_EXIT | PROC_MONITOR_EXIT | PROC_SECONDARY |
                                PROC_CR8_LOAD_EXIT | PROC_CR8_STORE_EXIT | PROC_MOV_DR_EXIT,
                                &miss);
    if (miss)
        return refuse(err, errlen, "HLT, CR8 or MOV-DR exiting, I/O or MSR bitmaps or "
                      "secondary controls", miss);
    uint64_t cap2 = rdmsr(MSR_VMX_PROCBASED_CTLS2);
    uint32_t may2 = (uint32_t)(cap2 >> 32);
    if ((may2 & (PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST)) !=
        (PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST))
        return refuse(err, errlen, "EPT or unrestricted guest",
                      ~may2 & (PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST));
    vmx_caps.ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
    uint64_t need_ept = EPT_CAP_WALK_4 | EPT_CAP_MEMTYPE_WB | EPT_CAP_2M_PAGES;
    if ((vmx_caps.ept_vpid & need_ept) != need_ept) {
        pv_snprintf(err, errlen, "the CPU's EPT lacks 4-level walks, write-back memory or "
                    "2 MiB pages (IA32_VMX_EPT_VPID_CAP 0x%lx)", vmx_caps.ept_vpid);
        return 0;
    }
    vmx_caps.has_vpid = (may2 & PROC2_ENABLE_VPID) && (vmx_caps.ept_vpid & VPID_CAP_INVVPID) &&
                        !(virt_settings.hw_off & VIRT_OFF_VPID);
    vmx_caps.has_ple = (may2 & PROC2_PAUSE_LOOP_EXIT) && !(virt_settings.hw_off & VIRT_OFF_PLE);
    vmx_caps.proc2 = (PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST |
                      (vmx_caps.has_vpid ? PROC2_ENABLE_VPID : 0) |
                      (may2 & (PROC2_RDTSCP | PROC2_INVPCID | PROC2_WBINVD_EXIT))) |
                     (uint32_t)cap2;
    vmx_caps.exit = adjust_ctls(true_ctls ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS,
                                EXIT_CTL_HOST_64BIT | EXIT_CTL_SAVE_EFER | EXIT_CTL_LOAD_EFER |
                                EXIT_CTL_SAVE_PAT | EXIT_CTL_LOAD_PAT, &miss);
    if (miss)
        return refuse(err, errlen, "64-bit host or EFER/PAT save/load on exit", miss);
    vmx_caps.entry = adjust_ctls(true_ctls ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS,
                                 ENTRY_CTL_LOAD_EFER | ENTRY_CTL_LOAD_PAT, &miss);
    if (miss)
        return refuse(err, errlen, "EFER/PAT load on entry", miss);
    vmx_caps.entry &= ~ENTRY_CTL_IA32E_GUEST;   /* set per vCPU */

    virt_feature_use("ept");
    virt_feature_use("unrestricted_guest");
    if (vmx_caps.has_vpid)
        virt_feature_use("vpid");
    if (vmx_caps.has_ple && virt_settings.ple)
        virt_feature_use("ple");
    if (vmx_caps.has_preempt_timer)
        virt_feature_use("preempt_timer");

    caps->pause_loop_hw = vmx_caps.has_ple;
    virt_settings.ple_window_limit = VMX_PLE_WINDOW_MAX;
    caps->slice_timer = vmx_caps.has_preempt_timer;
    vmx_io_bitmaps = pages_alloc_zeroed(2 * VMX_IO_BITMAP_PAGES);
    memset(vmx_io_bitmaps, 0xFF, 2 * VMX_IO_BITMAP_PAGES * 4096);
    vmx_msr_bitmap = pages_alloc_zeroed(VMX_MSR_BITMAP_PAGES);
    memset(vmx_msr_bitmap, 0xFF, VMX_MSR_BITMAP_PAGES * 4096);
    return &vmx_ops;
}
