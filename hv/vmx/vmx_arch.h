/*
 * Intel VMX architectural names (Intel SDM vol. 3C, chapters 24-27 and
 * appendices A-C): capability MSRs, VMCS field encodings, control bits,
 * exit reasons, event-information and EPT formats, VM-instruction errors.
 * Nothing else in pvhv spells these numbers.
 */
#ifndef HV_VMX_ARCH_H
#define HV_VMX_ARCH_H

#include <stdint.h>

/* MSRs (SDM appendix A) */
#define MSR_FEATURE_CONTROL         0x0000003Au
#define FEATURE_CONTROL_LOCK        (1ull << 0)
#define FEATURE_CONTROL_VMXON_SMX   (1ull << 1)
#define FEATURE_CONTROL_VMXON       (1ull << 2)   /* outside SMX */
#define MSR_VMX_BASIC               0x00000480u
#define MSR_VMX_PINBASED_CTLS       0x00000481u
#define MSR_VMX_PROCBASED_CTLS      0x00000482u
#define MSR_VMX_EXIT_CTLS           0x00000483u
#define MSR_VMX_ENTRY_CTLS          0x00000484u
#define MSR_VMX_MISC                0x00000485u
#define MSR_VMX_CR0_FIXED0          0x00000486u
#define MSR_VMX_CR0_FIXED1          0x00000487u
#define MSR_VMX_CR4_FIXED0          0x00000488u
#define MSR_VMX_CR4_FIXED1          0x00000489u
#define MSR_VMX_PROCBASED_CTLS2     0x0000048Bu
#define MSR_VMX_EPT_VPID_CAP        0x0000048Cu
#define MSR_VMX_TRUE_PINBASED_CTLS  0x0000048Du
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x0000048Eu
#define MSR_VMX_TRUE_EXIT_CTLS      0x0000048Fu
#define MSR_VMX_TRUE_ENTRY_CTLS     0x00000490u

#define VMX_BASIC_REVISION_MASK     0x7FFFFFFFull
#define VMX_BASIC_TRUE_CTLS         (1ull << 55)

/* IA32_VMX_MISC: the VMX-preemption timer counts down by one every
   2^rate TSC cycles; its VMCS field is 32 bits wide. */
#define VMX_MISC_PREEMPT_RATE_MASK  0x1Full
#define VMX_PREEMPT_TIMER_MAX       0xFFFFFFFFull

/* IA32_VMX_EPT_VPID_CAP */
#define EPT_CAP_WALK_4              (1ull << 6)
#define EPT_CAP_MEMTYPE_WB          (1ull << 14)
#define EPT_CAP_2M_PAGES            (1ull << 16)
#define EPT_CAP_INVEPT              (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE       (1ull << 25)
#define EPT_CAP_INVEPT_ALL          (1ull << 26)
#define VPID_CAP_INVVPID            (1ull << 32)
#define VPID_CAP_INVVPID_SINGLE     (1ull << 41)
#define VPID_CAP_INVVPID_ALL        (1ull << 42)

/* INVEPT / INVVPID types */
#define INVEPT_SINGLE               1
#define INVEPT_ALL                  2
#define INVVPID_SINGLE              1
#define INVVPID_ALL                 2

/* Pin-based VM-execution controls */
#define PIN_EXT_INT_EXIT            (1u << 0)
#define PIN_NMI_EXIT                (1u << 3)
#define PIN_VIRTUAL_NMIS            (1u << 5)
#define PIN_PREEMPT_TIMER           (1u << 6)

/* Primary processor-based VM-execution controls */
#define PROC_INTR_WINDOW_EXIT       (1u << 2)
#define PROC_TSC_OFFSET             (1u << 3)
#define PROC_HLT_EXIT               (1u << 7)
#define PROC_INVLPG_EXIT            (1u << 9)
#define PROC_MWAIT_EXIT             (1u << 10)
#define PROC_RDPMC_EXIT             (1u << 11)
#define PROC_RDTSC_EXIT             (1u << 12)
#define PROC_CR3_LOAD_EXIT          (1u << 15)
#define PROC_CR3_STORE_EXIT         (1u << 16)
#define PROC_CR8_LOAD_EXIT          (1u << 19)
#define PROC_CR8_STORE_EXIT         (1u << 20)
#define PROC_NMI_WINDOW_EXIT        (1u << 22)
#define PROC_MOV_DR_EXIT            (1u << 23)
#define PROC_UNCOND_IO_EXIT         (1u << 24)
#define PROC_USE_IO_BITMAPS         (1u << 25)
#define PROC_USE_MSR_BITMAPS        (1u << 28)
#define PROC_MONITOR_EXIT           (1u << 29)
#define PROC_PAUSE_EXIT             (1u << 30)
#define PROC_SECONDARY              (1u << 31)

/* Secondary processor-based VM-execution controls */
#define PROC2_ENABLE_EPT            (1u << 1)
#define PROC2_RDTSCP                (1u << 3)
#define PROC2_ENABLE_VPID           (1u << 5)
#define PROC2_WBINVD_EXIT           (1u << 6)
#define PROC2_UNRESTRICTED_GUEST    (1u << 7)
#define PROC2_PAUSE_LOOP_EXIT       (1u << 10)
#define PROC2_INVPCID               (1u << 12)

/* VM-exit controls */
#define EXIT_CTL_SAVE_DEBUG         (1u << 2)
#define EXIT_CTL_HOST_64BIT         (1u << 9)
#define EXIT_CTL_ACK_INTR           (1u << 15)
#define EXIT_CTL_SAVE_PAT           (1u << 18)
#define EXIT_CTL_LOAD_PAT           (1u << 19)
#define EXIT_CTL_SAVE_EFER          (1u << 20)
#define EXIT_CTL_LOAD_EFER          (1u << 21)

/* VM-entry controls */
#define ENTRY_CTL_LOAD_DEBUG        (1u << 2)
#define ENTRY_CTL_IA32E_GUEST       (1u << 9)
#define ENTRY_CTL_LOAD_PAT          (1u << 14)
#define ENTRY_CTL_LOAD_EFER         (1u << 15)

/* VMCS field encodings (SDM appendix B). 16-bit fields: */
#define VMCS_VPID                   0x0000u
#define VMCS_GUEST_ES_SEL           0x0800u
#define VMCS_GUEST_CS_SEL           0x0802u
#define VMCS_GUEST_SS_SEL           0x0804u
#define VMCS_GUEST_DS_SEL           0x0806u
#define VMCS_GUEST_FS_SEL           0x0808u
#define VMCS_GUEST_GS_SEL           0x080Au
#define VMCS_GUEST_LDTR_SEL         0x080Cu
#define VMCS_GUEST_TR_SEL           0x080Eu
#define VMCS_HOST_ES_SEL            0x0C00u
#define VMCS_HOST_CS_SEL            0x0C02u
#define VMCS_HOST_SS_SEL            0x0C04u
#define VMCS_HOST_DS_SEL            0x0C06u
#define VMCS_HOST_FS_SEL            0x0C08u
#define VMCS_HOST_GS_SEL            0x0C0Au
#define VMCS_HOST_TR_SEL            0x0C0Cu
/* 64-bit fields */
#define VMCS_IO_BITMAP_A            0x2000u
#define VMCS_IO_BITMAP_B            0x2002u
#define VMCS_MSR_BITMAP             0x2004u
#define VMCS_EXIT_MSR_STORE_ADDR    0x2006u
#define VMCS_EXIT_MSR_LOAD_ADDR     0x2008u
#define VMCS_ENTRY_MSR_LOAD_ADDR    0x200Au
#define VMCS_TSC_OFFSET             0x2010u
#define VMCS_EPT_POINTER            0x201Au
#define VMCS_GUEST_PHYS_ADDR        0x2400u
#define VMCS_LINK_POINTER           0x2800u
#define VMCS_GUEST_DEBUGCTL         0x2802u
#define VMCS_GUEST_PAT              0x2804u
#define VMCS_GUEST_EFER             0x2806u
#define VMCS_HOST_PAT               0x2C00u
#define VMCS_HOST_EFER              0x2C02u
/* 32-bit fields */
#define VMCS_PIN_CTLS               0x4000u
#define VMCS_PROC_CTLS              0x4002u
#define VMCS_EXCEPTION_BITMAP       0x4004u
#define VMCS_PF_ERROR_MASK          0x4006u
#define VMCS_PF_ERROR_MATCH         0x4008u
#define VMCS_CR3_TARGET_COUNT       0x400Au
#define VMCS_EXIT_CTLS              0x400Cu
#define VMCS_EXIT_MSR_STORE_COUNT   0x400Eu
#define VMCS_EXIT_MSR_LOAD_COUNT    0x4010u
#define VMCS_ENTRY_CTLS             0x4012u
#define VMCS_ENTRY_MSR_LOAD_COUNT   0x4014u
#define VMCS_ENTRY_INTR_INFO        0x4016u
#define VMCS_ENTRY_EXC_ERROR        0x4018u
#define VMCS_ENTRY_INSN_LEN         0x401Au
#define VMCS_TPR_THRESHOLD          0x401Cu
#define VMCS_PROC_CTLS2             0x401Eu
#define VMCS_PLE_GAP                0x4020u
#define VMCS_PLE_WINDOW             0x4022u
#define VMX_PLE_WINDOW_MAX          0xFFFFFFFFu /* PLE_Window is a 32-bit field */
#define VMCS_INSN_ERROR             0x4400u
#define VMCS_EXIT_REASON            0x4402u
#define VMCS_EXIT_INTR_INFO         0x4404u
#define VMCS_EXIT_INTR_ERROR        0x4406u
#define VMCS_IDT_VECTORING_INFO     0x4408u
#define VMCS_IDT_VECTORING_ERROR    0x440Au
#define VMCS_EXIT_INSN_LEN          0x440Cu
#define VMCS_EXIT_INSN_INFO         0x440Eu
#define VMCS_GUEST_ES_LIMIT         0x4800u
#define VMCS_GUEST_CS_LIMIT         0x4802u
#define VMCS_GUEST_SS_LIMIT         0x4804u
#define VMCS_GUEST_DS_LIMIT         0x4806u
#define VMCS_GUEST_FS_LIMIT         0x4808u
#define VMCS_GUEST_GS_LIMIT         0x480Au
#define VMCS_GUEST_LDTR_LIMIT       0x480Cu
#define VMCS_GUEST_TR_LIMIT         0x480Eu
#define VMCS_GUEST_GDTR_LIMIT       0x4810u
#define VMCS_GUEST_IDTR_LIMIT       0x4812u
#define VMCS_GUEST_ES_AR            0x4814u
#define VMCS_GUEST_CS_AR            0x4816u
#define VMCS_GUEST_SS_AR            0x4818u
#define VMCS_GUEST_DS_AR            0x481Au
#define VMCS_GUEST_FS_AR            0x481Cu
#define VMCS_GUEST_GS_AR            0x481Eu
#define VMCS_GUEST_LDTR_AR          0x4820u
#define VMCS_GUEST_TR_AR            0x4822u
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824u
#define VMCS_GUEST_ACTIVITY         0x4826u
#define VMCS_GUEST_SYSENTER_CS      0x482Au
#define VMCS_PREEMPT_TIMER_VALUE    0x482Eu
#define VMCS_HOST_SYSENTER_CS       0x4C00u
/* natural-width fields */
#define VMCS_CR0_MASK               0x6000u
#define VMCS_CR4_MASK               0x6002u
#define VMCS_CR0_SHADOW             0x6004u
#define VMCS_CR4_SHADOW             0x6006u
#define VMCS_EXIT_QUALIFICATION     0x6400u
#define VMCS_GUEST_LINEAR_ADDR      0x640Au
#define VMCS_GUEST_CR0              0x6800u
#define VMCS_GUEST_CR3              0x6802u
#define VMCS_GUEST_CR4              0x6804u
#define VMCS_GUEST_ES_BASE          0x6806u
#define VMCS_GUEST_CS_BASE          0x6808u
#define VMCS_GUEST_SS_BASE          0x680Au
#define VMCS_GUEST_DS_BASE          0x680Cu
#define VMCS_GUEST_FS_BASE          0x680Eu
#define VMCS_GUEST_GS_BASE          0x6810u
#define VMCS_GUEST_LDTR_BASE        0x6812u
#define VMCS_GUEST_TR_BASE          0x6814u
#define VMCS_GUEST_GDTR_BASE        0x6816u
#define VMCS_GUEST_IDTR_BASE        0x6818u
#define VMCS_GUEST_DR7              0x681Au
#define VMCS_GUEST_RSP              0x681Cu
#define VMCS_GUEST_RIP              0x681Eu
#define VMCS_GUEST_RFLAGS           0x6820u
#define VMCS_GUEST_PENDING_DBG      0x6822u
#define VMCS_GUEST_SYSENTER_ESP     0x6824u
#define VMCS_GUEST_SYSENTER_EIP     0x6826u
#define VMCS_HOST_CR0               0x6C00u
#define VMCS_HOST_CR3               0x6C02u
#define VMCS_HOST_CR4               0x6C04u
#define VMCS_HOST_FS_BASE           0x6C06u
#define VMCS_HOST_GS_BASE           0x6C08u
#define VMCS_HOST_TR_BASE           0x6C0Au
#define VMCS_HOST_GDTR_BASE         0x6C0Cu
#define VMCS_HOST_IDTR_BASE         0x6C0Eu
#define VMCS_HOST_SYSENTER_ESP      0x6C10u
#define VMCS_HOST_SYSENTER_EIP      0x6C12u
#define VMCS_HOST_RSP               0x6C14u
#define VMCS_HOST_RIP               0x6C16u

/* Basic exit reasons (SDM appendix C) */
#define VMX_EXIT_EXCEPTION          0
#define VMX_EXIT_EXT_INTR           1
#define VMX_EXIT_TRIPLE_FAULT       2
#define VMX_EXIT_INIT               3
#define VMX_EXIT_SIPI               4
#define VMX_EXIT_IO_SMI             5
#define VMX_EXIT_OTHER_SMI          6
#define VMX_EXIT_INTR_WINDOW        7
#define VMX_EXIT_NMI_WINDOW         8
#define VMX_EXIT_TASK_SWITCH        9
#define VMX_EXIT_CPUID              10
#define VMX_EXIT_GETSEC             11
#define VMX_EXIT_HLT                12
#define VMX_EXIT_INVD               13
#define VMX_EXIT_INVLPG             14
#define VMX_EXIT_RDPMC              15
#define VMX_EXIT_RDTSC              16
#define VMX_EXIT_RSM                17
#define VMX_EXIT_VMCALL             18
#define VMX_EXIT_VMCLEAR            19
#define VMX_EXIT_VMLAUNCH           20
#define VMX_EXIT_VMPTRLD            21
#define VMX_EXIT_VMPTRST            22
#define VMX_EXIT_VMREAD             23
#define VMX_EXIT_VMRESUME           24
#define VMX_EXIT_VMWRITE            25
#define VMX_EXIT_VMXOFF             26
#define VMX_EXIT_VMXON              27
#define VMX_EXIT_CR_ACCESS          28
#define VMX_EXIT_DR_ACCESS          29
#define VMX_EXIT_IO                 30
#define VMX_EXIT_RDMSR              31
#define VMX_EXIT_WRMSR              32
#define VMX_EXIT_BAD_GUEST_STATE    33
#define VMX_EXIT_MSR_LOADING        34
#define VMX_EXIT_MWAIT              36
#define VMX_EXIT_MTF                37
#define VMX_EXIT_MONITOR            39
#define VMX_EXIT_PAUSE              40   /* PAUSE exiting and PAUSE-loop exiting */
#define VMX_EXIT_MACHINE_CHECK      41
#define VMX_EXIT_EPT_VIOLATION      48
#define VMX_EXIT_EPT_MISCONFIG      49
#define VMX_EXIT_INVEPT             50
#define VMX_EXIT_RDTSCP             51
#define VMX_EXIT_PREEMPT_TIMER      52
#define VMX_EXIT_INVVPID            53
#define VMX_EXIT_WBINVD             54
#define VMX_EXIT_XSETBV             55
#define VMX_EXIT_VMFUNC             59
#define VMX_EXIT_REASON_MASK        0xFFFFu
#define VMX_EXIT_ENTRY_FAILED       (1u << 31)

/* I/O exit qualification */
#define IO_QUAL_SIZE_MASK           0x7u     /* size - 1 */
#define IO_QUAL_IN                  (1u << 3)
#define IO_QUAL_STRING              (1u << 4)
#define IO_QUAL_REP                 (1u << 5)
#define IO_QUAL_PORT_SHIFT          16

/* VM-entry/exit interruption information and IDT-vectoring information */
#define INTR_INFO_VECTOR_MASK       0xFFu
#define INTR_INFO_TYPE_MASK         (7u << 8)
#define INTR_TYPE_EXT_INTR          (0u << 8)
#define INTR_TYPE_NMI               (2u << 8)
#define INTR_TYPE_HW_EXCEPTION      (3u << 8)
#define INTR_TYPE_SW_INTR           (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SW_EXCEPTION      (6u << 8)
#define INTR_INFO_ERROR_VALID       (1u << 11)
#define INTR_INFO_VALID             (1u << 31)

/* Guest interruptibility state */
#define INTERRUPTIBILITY_STI        (1u << 0)
#define INTERRUPTIBILITY_MOV_SS     (1u << 1)

#define GUEST_ACTIVITY_ACTIVE       0
#define VMCS_LINK_POINTER_NONE      0xFFFFFFFFFFFFFFFFull

/* Segment access rights in the VMCS format (type, S, DPL, P, AVL, L, D/B, G) */
#define VMX_AR_CODE32               0xC09Bu
#define VMX_AR_CODE64               0xA09Bu
#define VMX_AR_DATA                 0xC093u
#define VMX_AR_TSS_BUSY             0x008Bu
#define VMX_AR_UNUSABLE             (1u << 16)
#define VMX_AR_DPL_SHIFT            5
#define VMX_AR_DPL_MASK             3u
#define VMX_SEG_LIMIT_FLAT          0xFFFFFFFFu
#define VMX_SEG_LIMIT_TSS           0x67u

/* EPT entries and the EPT pointer */
#define EPT_READ                    (1ull << 0)
#define EPT_WRITE                   (1ull << 1)
#define EPT_EXEC                    (1ull << 2)
#define EPT_MEMTYPE_WB              6ull
#define EPT_MEMTYPE_SHIFT           3
#define EPT_LARGE                   (1ull << 7)
#define EPTP_MEMTYPE_WB             6ull
#define EPTP_WALK_4                 (3ull << 3)   /* page-walk length - 1 */

/* VM-instruction error numbers (SDM 30.4) */
#define VMX_ERR_COUNT               29

/* Bitmap sizes */
#define VMX_MSR_BITMAP_PAGES        1
#define VMX_IO_BITMAP_PAGES         1   /* each of A (0-0x7FFF) and B */

/* Fixed instruction lengths need not be known: VMX reports them. */
#define GUEST_PAT_DEFAULT_VMX       0x0007040600070406ull
#define GUEST_DR7_INIT_VMX          0x400ull
#define GUEST_DR6_INIT_VMX          0xFFFF0FF0ull

#endif
