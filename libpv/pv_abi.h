/*
 * The paravirtual ABI between the pvhv hypervisor and its guest kernel.
 * Both sides include this one header, so a number or layout can never differ
 * between them. KVM's numbers and layouts are used wherever KVM has the
 * feature (so the guest reads like Linux's KVM guest code); the project's own
 * hypercalls live in a separate range.
 */
#ifndef PVHV_PV_ABI_H
#define PVHV_PV_ABI_H

#include <stdint.h>

/* ---- Detection (CPUID) ---------------------------------------------------- */
#define PV_CPUID_SIGNATURE      0x40000000u /* EAX = max leaf, EBX/ECX/EDX = sig */
#define PV_CPUID_FEATURES       0x40000001u /* EAX = feature bits below */
#define PV_CPUID_MAX_LEAF       PV_CPUID_FEATURES
#define PV_SIGNATURE            "PvhvPvhvPvhv" /* 12 bytes, EBX:ECX:EDX */

/* Feature bits in CPUID 0x40000001 EAX, at KVM's positions. */
#define PV_FEATURE_STEAL_TIME     5  /* KVM_FEATURE_STEAL_TIME */
#define PV_FEATURE_PV_UNHALT      7  /* KVM_FEATURE_PV_UNHALT */
#define PV_FEATURE_PV_TLB_FLUSH   9  /* KVM_FEATURE_PV_TLB_FLUSH */
#define PV_FEATURE_PV_SEND_IPI    11 /* KVM_FEATURE_PV_SEND_IPI */
#define PV_FEATURE_PV_SCHED_YIELD 13 /* KVM_FEATURE_PV_SCHED_YIELD */
/* pvhv's own features: bits 28-31, which KVM leaves unused. */
#define PV_FEATURE_HV_TLB_FLUSH   28 /* PV_HC_FLUSH_TLB below */

/* ---- Hypercalls ----------------------------------------------------------- */
/*
 * VMMCALL (AMD) / VMCALL (Intel): number in RAX, arguments in RBX, RCX, RDX,
 * RSI, result in RAX; a negative value is -errno (KVM's errno values).
 */
#define PV_HC_KICK_CPU      5  /* KVM_HC_KICK_CPU: RBX = flags (0), RCX = APIC ID */
#define PV_HC_SEND_IPI      10 /* KVM_HC_SEND_IPI: RBX = bitmap low, RCX = bitmap
                                  high, RDX = lowest APIC ID, RSI = ICR (vector
                                  in bits 7:0); returns number of targets hit */
#define PV_HC_SCHED_YIELD   11 /* KVM_HC_SCHED_YIELD: RBX = APIC ID to yield to */

/* The project's own hypercalls: a range KVM does not use. */
#define PV_HC_BASE          0x50560000u
#define PV_HC_VCPU_START    (PV_HC_BASE + 1) /* RBX = vCPU id, RCX = GPA of
                                                struct pv_vcpu_context */
#define PV_HC_REPORT        (PV_HC_BASE + 2) /* RBX = GPA, RCX = length: one
                                                JSON object, see below */
#define PV_HC_VM_DONE       (PV_HC_BASE + 3) /* RBX = 0 pass, else fail code */
#define PV_HC_CONSOLE_WRITE (PV_HC_BASE + 4) /* RBX = GPA, RCX = length */
#define PV_HC_LOCKINFO      (PV_HC_BASE + 5) /* RBX = GPA of the calling vCPU's
                                                struct pv_lockinfo, RCX = flags
                                                (PV_LOCKINFO_ENABLE or 0) */
#define PV_HC_FLUSH_TLB     (PV_HC_BASE + 6) /* RBX = mask of vCPU ids (bit i:
                                                vCPU i, all below nr_vcpus),
                                                RCX = flags (0). Returns once
                                                every vCPU in the mask will
                                                flush its whole guest TLB
                                                before it next runs guest code
                                                (the caller: before this
                                                returns to it); RAX = how many
                                                of them had no such flush
                                                pending yet. Like Hyper-V's
                                                HvFlushVirtualAddressSpace
                                                with all address spaces. */
#define PV_HC_OPLOG         (PV_HC_BASE + 7) /* RBX = GPA of the VM's struct
                                                pv_oplog (0 = none): printed
                                                if the VM is killed */

/* Errors returned in RAX, negated (KVM's values). */
#define PV_EPERM      1
#define PV_ENOENT     2
#define PV_E2BIG      7
#define PV_EFAULT     14
#define PV_EBUSY      16
#define PV_ENOSPC     28   /* REPORT: the VM's console_budget is spent */
#define PV_EINVAL     22
#define PV_EOPNOTSUPP 95
#define PV_ENOSYS     1000 /* KVM_ENOSYS */

/* The longest report line the hypervisor accepts from a guest. */
#define PV_REPORT_MAX 3072

/* ---- Boot hand-over -------------------------------------------------------- */
/*
 * vCPU0 starts like a multiboot kernel: 32-bit protected mode, paging off,
 * flat segments, at the ELF entry point, EAX = PV_BOOT_MAGIC, EBX = GPA of
 * struct pv_boot_info. The stack pointer is undefined.
 */
#define PV_BOOT_MAGIC       0x50564856u /* "PVHV" */
#define PV_BOOT_INFO_MAGIC  0x7076626Fu
#define PV_BOOT_INFO_VERSION 1
#define PV_CMDLINE_MAX      1024
#define PV_MAX_VCPUS        64  /* SEND_IPI's two 64-bit bitmap words cover 128;
                                   the guest's per-vCPU tables are sized for 64 */

struct pv_boot_info {
    uint32_t magic;          /* PV_BOOT_INFO_MAGIC */
    uint32_t version;        /* PV_BOOT_INFO_VERSION */
    uint32_t vm_id;
    uint32_t nr_vcpus;       /* vCPU i has APIC ID i */
    uint64_t mem_bytes;      /* guest-physical RAM is [0, mem_bytes) */
    uint64_t tsc_hz;         /* TSC frequency measured by the hypervisor */
    uint64_t seed;           /* per-VM seed derived from the run's seed */
    uint64_t free_start;     /* first GPA above the loaded image and this page */
    char cmdline[PV_CMDLINE_MAX]; /* the hypervisor's full command line */
};

/*
 * Initial state of a secondary vCPU, started in 64-bit mode with paging on:
 * CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE|OSFXSR|OSXMMEXCPT, EFER = LME|LMA|NXE|SCE,
 * CS = cs (64-bit code), DS/ES/SS/FS/GS = ds (flat data), interrupts off,
 * RDI = arg.
 */
struct pv_vcpu_context {
    uint64_t cr3;
    uint64_t rip;
    uint64_t rsp;
    uint64_t arg;
    uint64_t gdt_base;
    uint16_t gdt_limit;
    uint16_t cs;
    uint16_t ds;
    uint16_t reserved;
};
_Static_assert(sizeof(struct pv_vcpu_context) == 48, "pv_vcpu_context layout");

/* ---- Steal time (KVM's MSR and struct) ------------------------------------- */
#define PV_MSR_STEAL_TIME        0x4b564d03u /* MSR_KVM_STEAL_TIME */
#define PV_STEAL_TIME_ENABLE     (1ull << 0) /* KVM_MSR_ENABLED */
#define PV_STEAL_TIME_ALIGN      64
#define PV_VCPU_PREEMPTED        (1u << 0)   /* KVM_VCPU_PREEMPTED */
#define PV_VCPU_FLUSH_TLB        (1u << 1)   /* KVM_VCPU_FLUSH_TLB */

struct pv_steal_time {
    uint64_t steal;      /* ns the vCPU was runnable but not running */
    uint32_t version;    /* odd while the hypervisor updates */
    uint32_t flags;
    uint8_t  preempted;  /* PV_VCPU_PREEMPTED | PV_VCPU_FLUSH_TLB */
    uint8_t  u8_pad[3];
    uint32_t pad[11];
};
_Static_assert(sizeof(struct pv_steal_time) == 64, "kvm_steal_time is 64 bytes");
_Static_assert(__builtin_offsetof(struct pv_steal_time, steal) == 0, "kvm_steal_time.steal");
_Static_assert(__builtin_offsetof(struct pv_steal_time, version) == 8, "kvm_steal_time.version");
_Static_assert(__builtin_offsetof(struct pv_steal_time, flags) == 12, "kvm_steal_time.flags");
_Static_assert(__builtin_offsetof(struct pv_steal_time, preempted) == 16,
               "kvm_steal_time.preempted");
_Static_assert(__builtin_offsetof(struct pv_steal_time, pad) == 20, "kvm_steal_time.pad");

/* ---- Lock state the guest publishes (pvhv's own; KVM has none) ---------- */
/*
 * Each vCPU may register one 64-byte area with PV_HC_LOCKINFO (GPA aligned to
 * PV_LOCKINFO_ALIGN, wholly inside guest RAM; flags 0 unregisters). The two
 * words split in halves: the guest owns the low 32 bits (how many locks it
 * holds / whether it is waiting for one), the hypervisor adds 1 to the high
 * 32 bits (PV_LOCKINFO_PREEMPT_ONE) every time it takes the vCPU off a pCPU
 * while it is runnable. The guest changes its half with one lock xadd, so
 * the old high half tells it exactly how many preemptions fell inside its
 * own window, which the hypervisor classifies by the low half it saw.
 */
#define PV_LOCKINFO_ENABLE       (1ull << 0)
#define PV_LOCKINFO_ALIGN        64
#define PV_LOCKINFO_COUNT_MASK   0xFFFFFFFFull
#define PV_LOCKINFO_PREEMPT_SHIFT 32
#define PV_LOCKINFO_PREEMPT_ONE  (1ull << PV_LOCKINFO_PREEMPT_SHIFT)

struct pv_lockinfo {
    uint64_t held;       /* low: locks held now; high: preemptions seen */
    uint64_t waiting;    /* low: waiting for a lock (spin or halt); high: ditto */
    uint64_t pad[6];
};
_Static_assert(sizeof(struct pv_lockinfo) == PV_LOCKINFO_ALIGN, "pv_lockinfo is 64 bytes");

/* ---- Operation log (pvhv's own) ---------------------------------------- */
/*
 * A VM may register one operation log (PV_HC_OPLOG, GPA aligned to
 * PV_OPLOG_ALIGN, wholly inside guest RAM; a bad GPA is refused and leaves
 * the registration as it was). The guest writes line n into
 * text[n % PV_OPLOG_LINES] (NUL-terminated or full) and then sets next to
 * n + 1. When the hypervisor kills the VM it copies the last lines and puts
 * them in the VM's record ("last_ops"), so a killed VM says what it did
 * last. The hypervisor only reads the area, once, and escapes what it finds.
 */
#define PV_OPLOG_ALIGN  64
#define PV_OPLOG_LINES  16
#define PV_OPLOG_LINE   64

struct pv_oplog {
    uint64_t next;       /* lines written so far */
    uint64_t pad[7];
    char text[PV_OPLOG_LINES][PV_OPLOG_LINE];
};
_Static_assert(sizeof(struct pv_oplog) == 64 + PV_OPLOG_LINES * PV_OPLOG_LINE,
               "pv_oplog layout");

/* ---- Guest console --------------------------------------------------------- */
/* The guest's COM1: the hypervisor forwards whole lines as [vmX.vcpuY] ... */
#define PV_GUEST_COM1        0x3F8
#define PV_GUEST_COM1_PORTS  8

#endif
