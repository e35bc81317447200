/*
 * Which VMCS is active on which pCPU. hv/virt/run.c's load hook makes a
 * vCPU's VMCS current for the whole time slice (VMPTRLD once, VMRESUME on
 * every later entry); the put hook clears it (VMCLEAR) before the scheduler
 * can hand the vCPU to another pCPU, since a VMCS may be active on one
 * logical processor only (SDM 3C 25.1, 25.11.1). With one pCPU no vCPU can
 * move, so VMCSs stay active and launched across slices.
 *
 * Outside a slice (vCPU set-up on the BSP, starting an AP from another
 * vCPU's hypercall, a dump) vmcs_get/vmcs_put bracket the access and then
 * give the pCPU back the VMCS of the slice it is in. vx->active_cpu is
 * claimed atomically, so a VMCS active on another pCPU is never loaded here
 * (vmcs_try_get, used by the timeout dump, reports it instead).
 */
#include "vmx.h"

#include "../core/layout.h"
#include "../core/panic.h"
#include "../core/percpu.h"
#include "../core/x86.h"
#include "../virt/vcpu.h"
#include "../virt/vm.h"

/* Claim vx for this pCPU; 0 if another pCPU has it active. */
static int claim(struct vmx_vcpu *vx, int me)
{
    int none = -1;
    return __atomic_compare_exchange_n(&vx->active_cpu, &none, me, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED) || none == me;
}

static void write_host_state(struct vmx_cpu *vc)
{
    /* Host state is per pCPU: GS base is the per-CPU block, TR/GDT are the
       per-CPU copies (hv/core/tss.c). HOST_RSP/RIP come from vmx_run.asm. */
    vmwrite(VMCS_HOST_CR0, vc->cr0);
    vmwrite(VMCS_HOST_CR3, vc->cr3);
    vmwrite(VMCS_HOST_CR4, vc->cr4);
    vmwrite(VMCS_HOST_CS_SEL, SEL_CODE64);
    vmwrite(VMCS_HOST_SS_SEL, SEL_DATA);
    vmwrite(VMCS_HOST_DS_SEL, SEL_DATA);
    vmwrite(VMCS_HOST_ES_SEL, SEL_DATA);
    vmwrite(VMCS_HOST_FS_SEL, 0);
    vmwrite(VMCS_HOST_GS_SEL, 0);
    vmwrite(VMCS_HOST_TR_SEL, vc->tr_sel);
    vmwrite(VMCS_HOST_FS_BASE, vc->fs_base);
    vmwrite(VMCS_HOST_GS_BASE, vc->gs_base);
    vmwrite(VMCS_HOST_TR_BASE, vc->tr_base);
    vmwrite(VMCS_HOST_GDTR_BASE, vc->gdtr_base);
    vmwrite(VMCS_HOST_IDTR_BASE, vc->idtr_base);
    vmwrite(VMCS_HOST_SYSENTER_CS, 0);
    vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
    vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
    vmwrite(VMCS_HOST_EFER, vc->efer);
    vmwrite(VMCS_HOST_PAT, vc->pat);
}

/* Make vx current here; the caller has claimed it. */
static void make_current(struct vmx_cpu *vc, struct vmx_vcpu *vx)
{
    if (vc->current != vx) {
        vmptrld(vx->vmcs_pa);
        vc->current = vx;
    }
    if (vx->host_cpu != (int)vc->index) {
        write_host_state(vc);
        vx->host_cpu = (int)vc->index;
    }
}

/* VMCLEAR: vx's data is in memory, its launch state "clear", and any pCPU
   may load it next. */
static void clear(struct vmx_cpu *vc, struct vmx_vcpu *vx)
{
    vmclear(vx->vmcs_pa);
    if (vc->current == vx)
        vc->current = 0;
    vx->launched = 0;
    __atomic_store_n(&vx->active_cpu, -1, __ATOMIC_RELEASE);
}

int vmcs_try_get(struct vcpu *v)
{
    struct vmx_cpu *vc = this_cpu()->backend;
    struct vmx_vcpu *vx = v->arch;

    if (!claim(vx, (int)vc->index))
        return -1;
    make_current(vc, vx);
    return 0;
}

void vmcs_get(struct vcpu *v)
{
    if (vmcs_try_get(v))
        panic("vm%u.vcpu%u: its VMCS is active on pCPU %d, not this one (%u)", v->vm->id, v->id,
              ((struct vmx_vcpu *)v->arch)->active_cpu, this_cpu()->index);
}

void vmcs_put(struct vcpu *v)
{
    struct vmx_cpu *vc = this_cpu()->backend;
    struct vmx_vcpu *vx = v->arch;

    if (vx == vc->slice)
        return;                 /* stays for the slice; vmx_vcpu_put clears it */
    if (!vmx_caps.keep_loaded)
        clear(vc, vx);
    if (vc->slice)
        make_current(vc, vc->slice);
}

void vmx_vcpu_load(struct vcpu *v)
{
    struct vmx_cpu *vc = this_cpu()->backend;
    struct vmx_vcpu *vx = v->arch;

    /* A dump on another pCPU may hold it for a moment (vmcs_try_get);
       the scheduler never runs a vCPU on two pCPUs. */
    while (!claim(vx, (int)vc->index))
        cpu_relax();
    make_current(vc, vx);
    vc->slice = vx;
    /* VMX keeps DR6 in no VMCS field: the guest's lives in the real
       register during its slice (SVM's VMCB holds it). CR2: xstate.c. */
    __asm__ volatile("mov %0, %%dr6" : : "r"(vx->dr6));
}

void vmx_vcpu_put(struct vcpu *v)
{
    struct vmx_cpu *vc = this_cpu()->backend;
    struct vmx_vcpu *vx = v->arch;

    __asm__ volatile("mov %%dr6, %0" : "=r"(vx->dr6));
    vc->slice = 0;
    if (!vmx_caps.keep_loaded)
        clear(vc, vx);
}
