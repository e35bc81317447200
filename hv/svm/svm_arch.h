/*
 * AMD SVM architectural names (AMD APM vol. 2, chapter 15 and appendix B):
 * MSRs, CPUID bits, intercept bits (the VMCB itself is vmcb_layout.h)
 * and exit codes.
 * Nothing else in pvhv spells these numbers.
 */
#ifndef HV_SVM_ARCH_H
#define HV_SVM_ARCH_H

#include <stdint.h>

#include "vmcb_layout.h"

#define MSR_VM_CR               0xC0010114u
#define MSR_VM_HSAVE_PA         0xC0010117u
#define VM_CR_SVMDIS            (1ull << 4)

/* CPUID 0x8000000A EDX */
#define SVM_FEAT_NP             (1u << 0)
#define SVM_FEAT_NRIPS          (1u << 3)
#define SVM_FEAT_VMCB_CLEAN     (1u << 5)
#define SVM_FEAT_FLUSH_BY_ASID  (1u << 6)
#define SVM_FEAT_DECODE_ASSISTS (1u << 7)
#define SVM_FEAT_PAUSE_FILTER   (1u << 10)
#define SVM_FEAT_PAUSE_THRESHOLD (1u << 12)


/* Segment attributes, compressed descriptor bits 47:40 and 55:52 */
#define SEG_ATTR_CODE32         0x0C9B
#define SEG_ATTR_CODE64         0x029B
#define SEG_ATTR_DATA           0x0C93
#define SEG_ATTR_TSS_BUSY       0x008B
#define SEG_ATTR_LDT            0x0082
#define SEG_ATTR_L              (1u << 9)   /* CS.L: 64-bit code */
#define SEG_LIMIT_FLAT          0xFFFFFFFFu
#define SEG_LIMIT_TSS           0x67

/* Intercept vector 0: CR reads 15:0, CR writes 31:16 */
#define INTERCEPT_CR0_WRITE     (1u << 16)
#define INTERCEPT_CR4_WRITE     (1u << 20)

/* Intercept vector 3 (MISC1) */
#define INTERCEPT_INTR          (1u << 0)
#define INTERCEPT_NMI           (1u << 1)
#define INTERCEPT_SMI           (1u << 2)
#define INTERCEPT_INIT          (1u << 3)
#define INTERCEPT_VINTR         (1u << 4)
#define INTERCEPT_CPUID         (1u << 18)
#define INTERCEPT_INVD          (1u << 22)
#define INTERCEPT_PAUSE         (1u << 23)
#define INTERCEPT_HLT           (1u << 24)
#define INTERCEPT_INVLPGA       (1u << 26)
#define INTERCEPT_IOIO          (1u << 27)
#define INTERCEPT_MSR           (1u << 28)
#define INTERCEPT_TASK_SWITCH   (1u << 29)
#define INTERCEPT_SHUTDOWN      (1u << 31)
/* Intercept vector 4 (MISC2) */
#define INTERCEPT_VMRUN         (1u << 0)
#define INTERCEPT_VMMCALL       (1u << 1)
#define INTERCEPT_VMLOAD        (1u << 2)
#define INTERCEPT_VMSAVE        (1u << 3)
#define INTERCEPT_STGI          (1u << 4)
#define INTERCEPT_CLGI          (1u << 5)
#define INTERCEPT_SKINIT        (1u << 6)
#define INTERCEPT_MONITOR       (1u << 10)
#define INTERCEPT_WBINVD        (1u << 9)
#define INTERCEPT_MWAIT         (1u << 11)
#define INTERCEPT_XSETBV        (1u << 13)

/* VMCB clean bits: a set bit lets the CPU keep its cached copy of that
   group of fields from the last VMRUN of this VMCB on this core. Fields
   outside every group (RAX/RSP/RIP/RFLAGS, TLB_CONTROL, INT_STATE, EVENTINJ,
   the VMLOAD/VMSAVE state) are read at every VMRUN. */
#define VMCB_CLEAN_INTERCEPTS   (1u << 0)   /* intercepts, TSC offset, pause filter */
#define VMCB_CLEAN_IOPM         (1u << 1)   /* IOPM/MSRPM bases */
#define VMCB_CLEAN_ASID         (1u << 2)
#define VMCB_CLEAN_TPR          (1u << 3)   /* V_TPR, V_IRQ, V_INTR_* */
#define VMCB_CLEAN_NP           (1u << 4)   /* NP enable, nCR3, gPAT */
#define VMCB_CLEAN_CRX          (1u << 5)   /* CR0, CR3, CR4, EFER */
#define VMCB_CLEAN_DRX          (1u << 6)   /* DR6, DR7 */
#define VMCB_CLEAN_DT           (1u << 7)   /* GDTR, IDTR */
#define VMCB_CLEAN_SEG          (1u << 8)   /* CS, DS, SS, ES, CPL */
#define VMCB_CLEAN_CR2          (1u << 9)
#define VMCB_CLEAN_LBR          (1u << 10)
#define VMCB_CLEAN_AVIC         (1u << 11)
#define VMCB_CLEAN_ALL          0xFFFu

#define SVM_PAUSE_FILTER_MAX    0xFFFFu     /* the 16-bit count and threshold */

#define TLB_CONTROL_NONE        0
#define TLB_CONTROL_FLUSH_ALL   1
#define TLB_CONTROL_FLUSH_ASID  3

#define VINTR_V_IRQ             (1ull << 8)
#define VINTR_IGN_TPR           (1ull << 20)
#define VINTR_MASKING           (1ull << 24)
#define INT_STATE_SHADOW        (1ull << 0)

#define EVENT_VECTOR_MASK       0xFFull
#define EVENT_TYPE_MASK         (7ull << 8)
#define EVENT_TYPE_INTR         (0ull << 8)
#define EVENT_TYPE_EXCEPTION    (3ull << 8)
#define EVENT_ERROR_VALID       (1ull << 11)
#define EVENT_VALID             (1ull << 31)
#define EVENT_ERROR_SHIFT       32

/* EXITINFO1 for IOIO */
#define IOIO_IN                 (1ull << 0)
#define IOIO_STRING             (1ull << 2)
#define IOIO_REP                (1ull << 3)
#define IOIO_SIZE8              (1ull << 4)
#define IOIO_SIZE16             (1ull << 5)
#define IOIO_SIZE32             (1ull << 6)
#define IOIO_PORT_SHIFT         16

/* Exit codes */
#define SVM_EXIT_WRITE_CR0      0x010   /* MOV to CR0, CLTS, LMSW */
#define SVM_EXIT_WRITE_CR4      0x014
#define SVM_EXIT_EXCP_BASE      0x040   /* + vector: an intercepted exception */
#define SVM_EXIT_INTR           0x060
#define SVM_EXIT_NMI            0x061
#define SVM_EXIT_SMI            0x062
#define SVM_EXIT_INIT           0x063
#define SVM_EXIT_VINTR          0x064
#define SVM_EXIT_CPUID          0x072
#define SVM_EXIT_INVD           0x076
#define SVM_EXIT_READ_DR0       0x020   /* + n: MOV from DRn */
#define SVM_EXIT_WRITE_DR0      0x030   /* + n: MOV to DRn */
#define SVM_DR_COUNT            8       /* DR0-7 (DR4/5 alias DR6/7) */
#define INTERCEPT_DR_ALL        0x00FF00FFu /* reads 7:0, writes 23:16 */
#define SVM_EXIT_PAUSE          0x077
#define SVM_EXIT_HLT            0x078
#define SVM_EXIT_INVLPGA        0x07A
#define SVM_EXIT_IOIO           0x07B
#define SVM_EXIT_MSR            0x07C
#define SVM_EXIT_TASK_SWITCH    0x07D
#define SVM_EXIT_SHUTDOWN       0x07F
#define SVM_EXIT_VMRUN          0x080
#define SVM_EXIT_VMMCALL        0x081
#define SVM_EXIT_VMLOAD         0x082
#define SVM_EXIT_VMSAVE         0x083
#define SVM_EXIT_STGI           0x084
#define SVM_EXIT_CLGI           0x085
#define SVM_EXIT_SKINIT         0x086
#define SVM_EXIT_MONITOR        0x08A
#define SVM_EXIT_WBINVD         0x089
#define SVM_EXIT_MWAIT          0x08B
#define SVM_EXIT_XSETBV         0x08D
#define SVM_EXIT_NPF            0x400
#define SVM_EXIT_INVALID        0xFFFFFFFFu   /* TCG reports the low 32 bits only */

/* Instruction lengths for RIP advance where the CPU has no NRIP save (QEMU
   TCG, Bochs' phenom_8650_toliman): the guest's encodings, no prefixes. */
#define X86_MAX_INSN_LEN        15
#define INSN_LEN_VMMCALL        3
#define INSN_LEN_HLT            1
#define INSN_LEN_PAUSE          2
#define INSN_LEN_CPUID          2
#define INSN_LEN_INVD           2
#define INSN_LEN_MSR            2
#define INSN_LEN_WBINVD         2
#define OPCODE_HLT              0xF4

#define EXITINFO1_MSR_WRITE     1
/* EXITINFO1 of a CR write with decode assists: a MOV, and its register */
#define EXITINFO1_CR_MOV        (1ull << 63)
#define EXITINFO1_CR_GPR_MASK   0xFull

/* The encodings of a CR0/CR4 write, decoded by hand where the CPU has no
   decode assists (QEMU TCG): optional legacy prefixes and REX, then 0F 22
   /r (MOV to CR), 0F 06 (CLTS) or 0F 01 /6 (LMSW). */
#define OPCODE_ESCAPE           0x0F
#define OPCODE_MOV_TO_CR        0x22
#define OPCODE_CLTS             0x06
#define OPCODE_GROUP7           0x01
#define GROUP7_LMSW             6
#define PREFIX_OPSIZE           0x66
#define PREFIX_ADDRSIZE         0x67
#define PREFIX_ES               0x26
#define PREFIX_CS               0x2E
#define PREFIX_SS               0x36
#define PREFIX_DS               0x3E
#define PREFIX_FS               0x64
#define PREFIX_GS               0x65
#define REX_MASK                0xF0
#define REX_BASE                0x40
#define REX_R                   0x04
#define REX_B                   0x01
#define MODRM_MOD(m)            ((unsigned)(m) >> 6)
#define MODRM_REG(m)            (((unsigned)(m) >> 3) & 7)
#define MODRM_RM(m)             ((unsigned)(m) & 7)
#define MODRM_MOD_REG           3
#define GPR_HIGH                8   /* REX.R / REX.B add this */

#define IOPM_PAGES              3
#define MSRPM_PAGES             2
#define MSRPM_FS_BASE_OFFSET    0x800   /* 0xC0000000 range in the MSRPM */

/* Nested page table entry bits (ordinary long-mode PTEs; walks are user). */
#define NPT_P                   (1ull << 0)
#define NPT_RW                  (1ull << 1)
#define NPT_US                  (1ull << 2)
#define NPT_PS                  (1ull << 7)

#define GUEST_PAT_DEFAULT       0x0007040600070406ull
#define GUEST_DR6_INIT          0xFFFF0FF0ull
#define GUEST_DR7_INIT          0x400ull

#endif
