/*
 * MSR accesses from guests. Every MSR is intercepted: the ones that are part
 * of the guest's own CPU state go to the backend's control block, a few are
 * answered here, and anything else gets #GP, so a guest can never write a
 * host MSR.
 */
#include "exit.h"

#include "pv_abi.h"
#include "irq.h"
#include "msr_check.h"
#include "vcpu.h"
#include "../core/x86.h"

#define EXC_GP 13

static void set_edx_eax(struct vcpu *v, uint64_t val)
{
    v->regs.rax = (uint32_t)val;
    v->regs.rdx = val >> 32;
}

enum exit_action handle_msr_read(struct vcpu *v, struct vexit *e)
{
    uint32_t msr = (uint32_t)v->regs.rcx;
    uint64_t val = 0;

    if (virt->msr_read(v, msr, &val) == 0) {
        /* handled by the backend */
    } else if (msr == PV_MSR_STEAL_TIME) {
        val = virt_pv->steal_msr_read(v);
    } else if (msr == MSR_TSC) {
        val = rdtsc();
    } else if (msr == MSR_MTRRCAP || msr == MSR_MISC_ENABLE) {
        val = 0;
    } else {
        virt_inject_exception(v, EXC_GP, 1, 0);
        return ACT_CONTINUE;
    }
    set_edx_eax(v, val);
    vcpu_skip_insn(v, e);
    return ACT_CONTINUE;
}

enum exit_action handle_msr_write(struct vcpu *v, struct vexit *e)
{
    uint32_t msr = (uint32_t)v->regs.rcx;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

    int bad;
    uint64_t efer;
    if (msr == PV_MSR_STEAL_TIME)
        bad = virt_pv->steal_msr_write(v, val);
    else if (msr == MSR_EFER && (virt->msr_read(v, MSR_EFER, &efer) ||
                                 !msr_efer_change_ok(efer, val, virt->read_cr(v, 0))))
        bad = 1;
    else
        bad = !msr_guest_value_ok(msr, val) || virt->msr_write(v, msr, val);
    if (bad) {
        virt_inject_exception(v, EXC_GP, 1, 0);
        return ACT_CONTINUE;
    }
    vcpu_skip_insn(v, e);
    return ACT_CONTINUE;
}
