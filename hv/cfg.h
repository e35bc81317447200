/*
 * The run's configuration, from the kernel command line (key=value words).
 * Parsing is strict: an unknown key, a malformed or out-of-range value, a key
 * given twice or an impossible combination is an error that names the key,
 * the value and what is allowed. Nothing is clamped. Pure code (libpv only),
 * so the hosted unit tests drive it directly.
 */
#ifndef HV_CFG_H
#define HV_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "pv_options.h"

#define CFG_MAX_VMS       16
#define CFG_MAX_VCPUS     64           /* PV_MAX_VCPUS */
#define CFG_MAX_TOTAL_VCPUS 256
#define CFG_MEM_MIN       ((uint64_t)4 << 20)
#define CFG_MEM_MAX       ((uint64_t)1 << 30)
#define CFG_MEM_ALIGN     ((uint64_t)2 << 20) /* nested paging maps 2 MiB pages */
#define CFG_TASK_SMP       (1u << 0)
#define CFG_TASK_LOCKSTRESS (1u << 1)
#define CFG_TASK_ABI       (1u << 2)
#define CFG_TASK_TLBSTRESS (1u << 3)
#define CFG_TASK_HOG       (1u << 4)
#define CFG_TASK_FUZZ      (1u << 5)
#define CFG_TASK_HCALL     (1u << 6)
#define CFG_TASK_XSTATE    (1u << 7)
#define CFG_TASK_PINGPONG  (1u << 8)
#define CFG_MAX_OVERRIDES  32           /* vmN.key=value words per run */
#define CFG_VALUE_MAX      64
#define CFG_TLB_MAX_PAGES  512          /* one guest page table */
#define CFG_TLB_MAX_WRITERS PV_OPT_TLB_WRITERS_MAX
#define CFG_TRACE_MIN_EVENTS 16
#define CFG_TRACE_MAX_EVENTS (1ull << 22) /* 64 MiB per pCPU */
#define CFG_IPS_MAX        100000000000ull /* 100 G instructions/s */

enum cfg_done { CFG_DONE_EXIT, CFG_DONE_HALT, CFG_DONE_REBOOT };
enum cfg_crash { CFG_CRASH_NONE, CFG_CRASH_TRIPLE, CFG_CRASH_NPF, CFG_CRASH_HALT,
                 CFG_CRASH_SPIN, CFG_CRASH_ACLOOP };

struct cfg {
    uint64_t vms, vcpus, mem;
    char sched[8];
    uint64_t slice_ms;
    int ple;                   /* pause-loop exiting */
    uint64_t ple_window, ple_gap, ple_exits;
    uint64_t ple_grow, ple_shrink, ple_window_max;
    int boost;                 /* woken vCPUs go to the front of the queue */
    int stagger;               /* rr: pCPU i's first slice starts i/P late */
    int kick_yield;            /* a kicker yields to a kicked vCPU that waits */
    uint64_t lock_grace_us;    /* slice extension for a lock holder, 0 = off */
    uint64_t cfs_latency_us, cfs_min_gran_us, cfs_wakeup_gran_us;
    uint64_t cfs_tick_us, cfs_migration_cost_us, cfs_balance_us;
    int preempt_check;         /* guest pvticket waiters watch the holder */
    char lock[64];          /* one kind, or a list: one lockstress phase each */
    uint64_t spin_threshold;
    uint32_t tasks;            /* CFG_TASK_* */
    char task[48];             /* as given: each task once, in run order */
    uint64_t locks, cs, think, duration_ms, ops, seed;
    uint64_t fuzz_ops;         /* task=fuzz: operations in all */
    char fuzz_extra[48];       /* task=fuzz: operations left out by default */
    char tlb[8];               /* tlbstress: native|pv|hv */
    uint64_t tlb_pages, tlb_writers;
    enum cfg_crash crash;
    uint64_t crash_vm;
    uint64_t timeout_ms;
    uint64_t console_budget;   /* guest console bytes printed per VM */
    int trace;                 /* trace=on: scheduling events per pCPU */
    uint64_t trace_events;     /* per-pCPU trace buffer, in events */
    char backend[8];
    char hw_off[16];           /* test key: a CPU feature pvhv must not use */
    int nmi_test;              /* test key: pCPU 0 sends the others NMIs */
    enum cfg_done done;
    /* vmN.key=value: a guest-task key set for one VM (cfg_vm applies them). */
    unsigned nr_overrides;
    struct cfg_override {
        unsigned vm, key;      /* key: index in the parser's table */
        char value[CFG_VALUE_MAX];
    } overrides[CFG_MAX_OVERRIDES];
    /* Bochs with clock sync=none advances its clocks, TSC included, by the
       instruction count at `ips` per emulated second: the TSC rate is then
       known exactly and is not measured (0: measure it against the PIT). */
    uint64_t ips;
};

struct cfg_error {
    char key[32];
    char value[64];
    char message[640];
};

/* Fills cfg with defaults, then applies cmdline. 0 on success, -1 with err. */
int cfg_parse(const char *cmdline, struct cfg *cfg, struct cfg_error *err);
/* Checks what depends on the machine: free memory for the VMs. */
int cfg_check_platform(const struct cfg *cfg, uint64_t largest_free_run,
                       struct cfg_error *err);
/* The effective configuration as "key=value ..." (handed to the guest). */
int cfg_format_cmdline(const struct cfg *cfg, char *buf, size_t n);

/* VM vm's effective configuration: cfg with that VM's vmN. overrides
   applied (cfg_parse has validated them). */
void cfg_vm(const struct cfg *cfg, unsigned vm, struct cfg *out);
/* Iteration over the guest-task keys only (those vmN. may override). */
void cfg_for_each_guest(const struct cfg *cfg,
                        void (*fn)(void *ctx, const char *key, const char *value,
                                   int is_number),
                        void *ctx);

/* The option table itself, for documentation checks: key i's name (NULL
   past the end), its default as typed, its '|'-separated words (NULL for
   numbers) and the "allowed: ..." text of its messages. */
unsigned cfg_key_count(void);
const char *cfg_key_info(unsigned i, const char **def, const char **words, char *allowed,
                         size_t n);

/* Iteration for the run record: calls fn(key, value, is_number) per key. */
void cfg_for_each(const struct cfg *cfg,
                  void (*fn)(void *ctx, const char *key, const char *value,
                             int is_number),
                  void *ctx);

#endif
