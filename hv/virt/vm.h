/*
 * A virtual machine: its guest-physical memory (one contiguous host run,
 * mapped from GPA 0 by nested paging), its vCPUs and how it ended.
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <stdint.h>

#include "pv_abi.h"
#include "vcpu.h"

#define MAX_VMS 16
#define VM_REASON_MAX 128

enum vm_state { VM_RUNNING = 0, VM_DONE, VM_KILLED };

struct vm {
    uint32_t id;
    volatile enum vm_state state;
    char reason[VM_REASON_MAX];
    uint64_t guest_status;     /* VM_DONE's argument */
    uint64_t mem_hpa;          /* host-physical base of guest RAM */
    uint64_t mem_bytes;
    uint64_t entry;
    uint64_t boot_info_gpa;
    void *npt_root;            /* backend's nested table root */
    uint64_t npt_root_pa;
    unsigned nr_vcpus;
    struct vcpu *vcpus;
    uint64_t seed;
    uint64_t started_tsc, ended_tsc;
    /* Guest console text (COM1, CONSOLE_WRITE) and REPORT records
       (hv/virt/io.c): bytes taken so far (the first console_budget are
       printed) and dropped, and the REPORTs dropped for it. */
    uint64_t console_budget, console_used, console_dropped, reports_dropped;
    struct sched_group sg;     /* the scheduler's view: members, co-run skew */
    uint64_t oplog_gpa;        /* PV_HC_OPLOG area, 0 = none (oplog.c) */
    uint64_t last_ops_next;    /* the log's line count when it was copied */
    unsigned nr_last_ops;      /* lines copied when the VM was killed */
    char last_ops[PV_OPLOG_LINES][PV_OPLOG_LINE];
};

extern struct vm vms[MAX_VMS];
extern unsigned nr_vms;

struct cfg;
struct boot_module;

struct json;

/* Builds every VM from the configuration (cmdline: what each guest gets);
   VM i runs guests[i], or the last of the nr_guests modules if there are
   fewer. Returns 0, or -1 with *key naming what failed and err saying why. */
int vm_create_all(const struct cfg *cfg, const char (*cmdlines)[PV_CMDLINE_MAX],
                  const struct boot_module *guests, unsigned nr_guests,
                  const char **key, char *err, unsigned errlen);
/* Translates a guest-physical range to a host pointer, or NULL if any byte
   of [gpa, gpa+len) lies outside the VM's memory. */
void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);
/* Ends a VM (first caller wins); its vCPUs stop at their next exit. */
void vm_finish(struct vm *vm, enum vm_state how, uint64_t status,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
unsigned vm_count_in_state(enum vm_state s);
/* The end record's VM counts (power_set_end_fields' hook). */
void vm_end_fields(struct json *j);
int vm_all_finished(void);

#endif
