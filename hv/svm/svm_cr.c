/*
 * CR0 and CR4 writes (SVM). Unlike VMX, SVM lets a guest write any CR0/CR4
 * value and checks only at the next VMRUN; QEMU 7.2 TCG takes NW without
 * CD, a reserved CR4 bit or CR0.PG cleared in 64-bit code, and then its
 * VMRUN refuses the state, so the VM died as an entry failure where
 * hardware gives #GP. Both writes are therefore intercepted and emulated
 * by the rules VMX uses too (hv/virt/cr_check.h): a legal value goes into
 * the VMCB (EFER.LMA following CR0.PG, the TLB flushed where translations
 * change), an illegal one gets #GP.
 *
 * Which register and how long the instruction is: with decode assists
 * (CPUID 0x8000000A EDX bit 7) EXITINFO1 names the register of a MOV, and
 * NRIP the next instruction; without them (QEMU TCG has neither) the
 * instruction is read from guest memory and decoded here: MOV to CR, CLTS,
 * and LMSW from a register. What cannot be read (32-bit paging, which
 * gva.c does not walk) or decoded (LMSW from memory, a LOCK prefix) ends
 * the VM with that reason: pvhv does not guess at a guest's instruction.
 */
#include "svm.h"

#include "fmt.h"
#include "../core/x86.h"
#include "../virt/cr.h"
#include "../virt/gva.h"
#include "../virt/irq.h"
#include "../virt/vcpu.h"

#define EXC_GP 13

enum cr_insn_kind { CR_INSN_MOV, CR_INSN_CLTS, CR_INSN_LMSW };

struct cr_insn {
    enum cr_insn_kind kind;
    unsigned cr;             /* MOV: the CR it names */
    unsigned gpr;            /* MOV, LMSW: the source register */
    uint32_t len;
};

static int long_mode_code(const struct vmcb *vmcb)
{
    return (vmcb->save.efer & EFER_LMA) && (vmcb->save.cs.attr & SEG_ATTR_L);
}

static int is_legacy_prefix(uint8_t b)
{
    return b == PREFIX_OPSIZE || b == PREFIX_ADDRSIZE || b == PREFIX_ES || b == PREFIX_CS ||
           b == PREFIX_SS || b == PREFIX_DS || b == PREFIX_FS || b == PREFIX_GS;
}

static int fetch(struct vcpu *v, const struct vmcb *vmcb, unsigned i, uint8_t *b)
{
    const struct guest_paging pg = {
        .cr0 = vmcb->save.cr0, .cr3 = vmcb->save.cr3,
        .cr4 = vmcb->save.cr4, .efer = vmcb->save.efer,
    };
    uint64_t linear = vmcb->save.cs.base + v->regs.rip + i;
    if (!long_mode_code(vmcb))
        linear &= 0xFFFFFFFFull;   /* 32-bit and real mode wrap at 4 GiB */
    return i >= X86_MAX_INSN_LEN ? -1 : guest_read_byte(v->vm, &pg, linear, b);
}

/* 0 with *d filled, or -1 with why in detail. */
static int decode(struct vcpu *v, const struct vmcb *vmcb, struct cr_insn *d,
                  char *detail, unsigned dlen)
{
    unsigned i = 0, rex = 0;
    uint8_t b, op, modrm;

    for (;; i++) {
        if (fetch(v, vmcb, i, &b))
            goto unreadable;
        if (is_legacy_prefix(b))
            rex = 0;           /* a REX counts only right before the opcode */
        else if (long_mode_code(vmcb) && (b & REX_MASK) == REX_BASE)
            rex = b;
        else
            break;
    }
    if (b != OPCODE_ESCAPE || fetch(v, vmcb, i + 1, &op))
        goto unknown;
    if (op == OPCODE_CLTS) {
        *d = (struct cr_insn){ .kind = CR_INSN_CLTS, .len = i + 2 };
        return 0;
    }
    if ((op != OPCODE_MOV_TO_CR && op != OPCODE_GROUP7) || fetch(v, vmcb, i + 2, &modrm))
        goto unknown;
    d->len = i + 3;
    d->gpr = MODRM_RM(modrm) + ((rex & REX_B) ? GPR_HIGH : 0);
    if (op == OPCODE_MOV_TO_CR) {   /* the mod field is ignored: always a register */
        d->kind = CR_INSN_MOV;
        d->cr = MODRM_REG(modrm) + ((rex & REX_R) ? GPR_HIGH : 0);
        return 0;
    }
    if (MODRM_REG(modrm) == GROUP7_LMSW && MODRM_MOD(modrm) == MODRM_MOD_REG) {
        d->kind = CR_INSN_LMSW;
        return 0;
    }
unknown:
    pv_snprintf(detail, dlen, "CR write at RIP 0x%lx: byte %u (0x%x) is not a MOV to CR, "
                "CLTS or LMSW from a register", v->regs.rip, i, b);
    return -1;
unreadable:
    pv_snprintf(detail, dlen, "CR write at RIP 0x%lx: byte %u cannot be read (unmapped, "
                "or a paging mode pvhv does not walk)", v->regs.rip, i);
    return -1;
}

/* The instruction, from decode assists and NRIP where the CPU has both. */
static int instruction(struct vcpu *v, const struct vmcb *vmcb, unsigned cr,
                       struct cr_insn *d, struct vexit *e)
{
    uint64_t nrip_len = vmcb->control.nrip - v->regs.rip;
    if ((svm_features & SVM_FEAT_DECODE_ASSISTS) && (svm_features & SVM_FEAT_NRIPS) &&
        (e->info1 & EXITINFO1_CR_MOV) && nrip_len && nrip_len <= X86_MAX_INSN_LEN) {
        *d = (struct cr_insn){ .kind = CR_INSN_MOV, .cr = cr,
                               .gpr = (unsigned)(e->info1 & EXITINFO1_CR_GPR_MASK),
                               .len = (uint32_t)nrip_len };
        return 0;
    }
    if (decode(v, vmcb, d, e->detail, sizeof(e->detail)))
        return -1;
    if (d->kind == CR_INSN_MOV ? d->cr != cr : cr != 0) {
        pv_snprintf(e->detail, sizeof(e->detail), "CR%u write exit at RIP 0x%lx decodes as "
                    "a write to CR%u", cr, v->regs.rip, d->kind == CR_INSN_MOV ? d->cr : 0);
        return -1;
    }
    return 0;
}

/* 0 done, -1 #GP. */
static int apply(struct vcpu *v, struct vmcb *vmcb, unsigned cr, uint64_t val)
{
    struct svm_vcpu *sv = v->arch;
    const struct cr_state s = {
        .cr0 = vmcb->save.cr0, .cr3 = vmcb->save.cr3, .cr4 = vmcb->save.cr4,
        .efer = vmcb->save.efer, .cs_long = long_mode_code(vmcb),
    };
    if (cr == 0) {
        uint64_t cr0, efer;
        if (cr0_write_check(&s, val, &cr0, &efer))
            return -1;
        vmcb->save.cr0 = cr0;
        vmcb->save.efer = efer;
        if ((s.cr0 ^ cr0) & CR0_TLB_BITS)
            sv->flush_pending = 1;
    } else {
        if (cr4_write_check(&s, val, cr4_supported()))
            return -1;
        vmcb->save.cr4 = val;
        if ((s.cr4 ^ val) & CR4_TLB_BITS)
            sv->flush_pending = 1;
    }
    svm_mark_dirty(sv, VMCB_CLEAN_CRX);
    return 0;
}

void svm_cr_write(struct vcpu *v, struct vexit *e)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    unsigned cr = e->raw == SVM_EXIT_WRITE_CR0 ? 0 : 4;
    struct cr_insn d;

    if (instruction(v, vmcb, cr, &d, e)) {
        e->reason = EXIT_UNKNOWN;
        return;
    }
    e->insn_len = d.len;
    if (vmcb->save.cpl) {             /* the CPU checks this before the intercept */
        virt_inject_exception(v, EXC_GP, 1, 0);
        return;
    }
    uint64_t val;
    if (d.kind == CR_INSN_CLTS) {
        val = vmcb->save.cr0 & ~CR0_TS;
    } else if (d.kind == CR_INSN_LMSW) {
        val = cr0_after_lmsw(vmcb->save.cr0, (uint16_t)vcpu_gpr(v, d.gpr));
    } else {
        val = vcpu_gpr(v, d.gpr);
        if (!long_mode_code(vmcb))
            val = (uint32_t)val;      /* outside 64-bit mode the operand is 32 bits */
    }
    if (apply(v, vmcb, cr, val))
        virt_inject_exception(v, EXC_GP, 1, 0);
    else
        vcpu_skip_insn(v, e);
}
