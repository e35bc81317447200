/*
 * The VMCB as C structs (AMD APM vol. 2, appendix B): the control area and
 * the state save area with every field at its architectural width. This
 * is the one statement of the layout: the SVM backend reads and writes the
 * VMCB through these fields, and the asserts below pin them to the manual.
 */
#ifndef HV_VMCB_LAYOUT_H
#define HV_VMCB_LAYOUT_H

#include <stdint.h>

struct vmcb_control {
    uint32_t intercept_cr;        /* reads 15:0, writes 31:16 */
    uint32_t intercept_dr;
    uint32_t intercept_exc;
    uint32_t intercept_misc1;     /* INTERCEPT_* vector 3 */
    uint32_t intercept_misc2;     /* INTERCEPT_* vector 4 */
    uint32_t intercept_misc3;
    uint8_t reserved_018[0x24];
    uint16_t pause_threshold;
    uint16_t pause_count;
    uint64_t iopm_base;
    uint64_t msrpm_base;
    uint64_t tsc_offset;
    uint32_t asid;
    uint8_t tlb_control;
    uint8_t reserved_05d[3];
    uint64_t vintr;               /* V_TPR, V_IRQ, V_INTR_MASKING, ... */
    uint64_t int_state;
    uint64_t exitcode;
    uint64_t exitinfo1;
    uint64_t exitinfo2;
    uint64_t exitintinfo;
    uint64_t np_enable;
    uint64_t avic_apic_bar;
    uint64_t ghcb_pa;
    uint64_t eventinj;
    uint64_t ncr3;
    uint64_t virt_ext;            /* LBR virtualization, VMLOAD/VMSAVE virt */
    uint32_t clean;
    uint32_t reserved_0c4;
    uint64_t nrip;
    uint8_t insn_len;
    uint8_t insn_bytes[15];
    uint8_t reserved_0e0[0x400 - 0xE0];
};

struct vmcb_seg {
    uint16_t sel;
    uint16_t attr;                /* descriptor bits 47:40 and 55:52 */
    uint32_t limit;
    uint64_t base;
};

struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    uint8_t reserved_4a0[0x2B];
    uint8_t cpl;
    uint32_t reserved_4cc;
    uint64_t efer;
    uint8_t reserved_4d8[0x70];
    uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip;
    uint8_t reserved_580[0x58];
    uint64_t rsp;
    uint64_t s_cet, ssp, isst_addr;
    uint64_t rax;
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t cr2;
    uint8_t reserved_648[0x20];
    uint64_t g_pat;
};   /* every field at its natural alignment: no packing, so &save.cs is a plain pointer */

struct vmcb {
    struct vmcb_control control;
    struct vmcb_save save;
    uint8_t reserved_670[4096 - 0x670];
};

#define VMCB_OFF(field) ((unsigned)__builtin_offsetof(struct vmcb, field))

_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area is 1 KiB");
_Static_assert(sizeof(struct vmcb_seg) == 16, "VMCB segment is 16 bytes");
_Static_assert(sizeof(struct vmcb_save) == 0x670 - 0x400, "APM B-2 save area ends at G_PAT");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");
_Static_assert(VMCB_OFF(control.pause_threshold) == 0x03C, "APM B-1 pause filter threshold");
_Static_assert(VMCB_OFF(control.asid) == 0x058, "APM B-1 guest ASID");
_Static_assert(VMCB_OFF(control.exitcode) == 0x070, "APM B-1 EXITCODE");
_Static_assert(VMCB_OFF(control.eventinj) == 0x0A8, "APM B-1 EVENTINJ");
_Static_assert(VMCB_OFF(control.clean) == 0x0C0, "APM B-1 VMCB clean bits");
_Static_assert(VMCB_OFF(control.nrip) == 0x0C8, "APM B-1 nRIP");
_Static_assert(VMCB_OFF(save.es) == 0x400, "APM B-2 state save area");
_Static_assert(VMCB_OFF(save.tr) == 0x490, "APM B-2 TR");
_Static_assert(VMCB_OFF(save.cpl) == 0x4CB, "APM B-2 CPL");
_Static_assert(VMCB_OFF(save.efer) == 0x4D0, "APM B-2 EFER");
_Static_assert(VMCB_OFF(save.cr4) == 0x548, "APM B-2 CR4");
_Static_assert(VMCB_OFF(save.rip) == 0x578, "APM B-2 RIP");
_Static_assert(VMCB_OFF(save.rsp) == 0x5D8, "APM B-2 RSP");
_Static_assert(VMCB_OFF(save.rax) == 0x5F8, "APM B-2 RAX");
_Static_assert(VMCB_OFF(save.star) == 0x600, "APM B-2 STAR");
_Static_assert(VMCB_OFF(save.cr2) == 0x640, "APM B-2 CR2");
_Static_assert(VMCB_OFF(save.g_pat) == 0x668, "APM B-2 G_PAT");

#endif
