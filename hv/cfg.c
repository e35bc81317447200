/*
 * Table-driven command-line parser. Each key names its type, limits and the
 * words it accepts, so the error text ("allowed: ...") and the effective
 * configuration printed in the run record come from the same table.
 */
#include "cfg.h"
#include "cfg_values.h"

#include "fmt.h"
#include "pv_options.h"
#include "pvstring.h"

#include <stddef.h>

#define WORD_MAX 128
#define MIB ((uint64_t)1 << 20)

/* How a key's value is checked, and how it is stored at `off` in struct
   cfg: K_UINT and K_SIZE a uint64_t; K_ONOFF an int (on = 1); K_CHOICE an
   int, the index of the word in `words`; K_WORD, K_WORDS and K_TASKS the
   text (K_TASKS also the bits in tasks); K_CRASH its own two fields. */
enum kind { K_UINT, K_SIZE, K_ONOFF, K_CHOICE, K_WORD, K_WORDS, K_TASKS, K_CRASH };

struct key {
    const char *name;
    enum kind kind;
    uint64_t min, max;
    const char *words;         /* '|'-separated allowed values */
    const char *def;           /* default, as it would be typed */
    const char *unit;          /* for messages */
    size_t off, size;          /* the field in struct cfg */
};

#define F(field) offsetof(struct cfg, field), sizeof(((struct cfg *)0)->field)

static const struct key keys[] = {
    { "vms", K_UINT, 1, CFG_MAX_VMS, 0, "2", "VMs", F(vms) },
    { "vcpus", K_UINT, 1, CFG_MAX_VCPUS, 0, "2", "vCPUs per VM", F(vcpus) },
    { "mem", K_SIZE, CFG_MEM_MIN, CFG_MEM_MAX, 0, "16M", "bytes per VM", F(mem) },
    { "sched", K_WORD, 0, 0, "cfs|rr|gang", "cfs", 0, F(sched) },
    { "ple", K_ONOFF, 0, 0, "on|off", "off", 0, F(ple) },
    { "ple_window", K_UINT, 1, 1ull << 31, 0, "4096", "PAUSEs (SVM filter) or cycles (VMX)",
      F(ple_window) },
    { "ple_gap", K_UINT, 0, 1ull << 31, 0, "128", "cycles", F(ple_gap) },
    { "ple_exits", K_UINT, 1, 1000000, 0, "8", "PAUSE exits per ms (software filter)",
      F(ple_exits) },
    { "ple_grow", K_UINT, 0, 1ull << 31, 0, "2", "(KVM ple_window_grow; 0 = fixed)",
      F(ple_grow) },
    { "ple_shrink", K_UINT, 0, 1ull << 31, 0, "0", "(KVM ple_window_shrink; 0 = reset)",
      F(ple_shrink) },
    { "ple_window_max", K_UINT, 0, 0xFFFFFFFFull, 0, "0", "(0 = the hardware's largest)",
      F(ple_window_max) },
    { "boost", K_ONOFF, 0, 0, "on|off", "on", 0, F(boost) },
    { "preempt_check", K_ONOFF, 0, 0, "on|off", "off", 0, F(preempt_check) },
    { "kick_yield", K_ONOFF, 0, 0, "on|off", "off", 0, F(kick_yield) },
    { "lock_grace", K_UINT, 0, 10000, 0, "0", "us (0 = off)", F(lock_grace_us) },
    { "slice", K_UINT, 1, 1000, 0, "10", "ms", F(slice_ms) },
    { "stagger", K_ONOFF, 0, 0, "on|off", "on", 0, F(stagger) },
    { "cfs_latency", K_UINT, 100, 1000000, 0, "6000", "us", F(cfs_latency_us) },
    { "cfs_min_gran", K_UINT, 100, 1000000, 0, "750", "us", F(cfs_min_gran_us) },
    { "cfs_wakeup_gran", K_UINT, 0, 1000000, 0, "1000", "us", F(cfs_wakeup_gran_us) },
    { "cfs_tick", K_UINT, 100, 100000, 0, "4000", "us", F(cfs_tick_us) },
    { "cfs_migration_cost", K_UINT, 0, 1000000, 0, "500", "us", F(cfs_migration_cost_us) },
    { "cfs_balance", K_UINT, 100, 1000000, 0, "4000", "us", F(cfs_balance_us) },
    { "lock", K_WORDS, 0, 0, "ticket|pvticket|tas|mcs|qspin|pvqspin|pticket", "pvticket", 0,
      F(lock) },
    { "spin_threshold", K_UINT, 1, 1ull << 31, 0, PV_OPT_STR(PV_OPT_SPIN_THRESHOLD), "spins", F(spin_threshold) },
    { "task", K_TASKS, 0, 0, "smp|lockstress|abi|tlbstress|hog|fuzz|hcall|xstate|pingpong", "lockstress", 0,
      F(task) },
    { "locks", K_UINT, 1, PV_OPT_LOCKS_MAX, 0, PV_OPT_STR(PV_OPT_LOCKS), "locks", F(locks) },
    { "cs", K_UINT, 0, 1000000, 0, PV_OPT_STR(PV_OPT_CS), "iterations", F(cs) },
    { "think", K_UINT, 0, 1000000, 0, PV_OPT_STR(PV_OPT_THINK), "iterations", F(think) },
    { "duration", K_UINT, 1, PV_OPT_DURATION_MAX_MS, 0, PV_OPT_STR(PV_OPT_DURATION_MS), "ms", F(duration_ms) },
    { "ops", K_UINT, 0, 1000000000000ull, 0, PV_OPT_STR(PV_OPT_OPS), "acquisitions per vCPU", F(ops) },
    { "fuzz_ops", K_UINT, 0, 1000000000ull, 0, "10000", "operations (task=fuzz)",
      F(fuzz_ops) },
    { "fuzz_extra", K_WORDS, 0, 0, "none|fatal|tcgcr", "none", 0, F(fuzz_extra) },
    { "seed", K_UINT, 0, UINT64_MAX, 0, PV_OPT_STR(PV_OPT_SEED), 0, F(seed) },
    { "tlb", K_WORD, 0, 0, "native|pv|hv", "pv", 0, F(tlb) },
    { "tlb_pages", K_UINT, 1, CFG_TLB_MAX_PAGES, 0, PV_OPT_STR(PV_OPT_TLB_PAGES), "pages", F(tlb_pages) },
    { "tlb_writers", K_UINT, 1, CFG_TLB_MAX_WRITERS, 0, PV_OPT_STR(PV_OPT_TLB_WRITERS),
      "writer vCPUs", F(tlb_writers) },
    { "crash", K_CRASH, 0, 0, "none|VM:triple|VM:npf|VM:halt|VM:spin|VM:acloop", "none", 0, F(crash) },
    { "console_budget", K_UINT, 0, 1ull << 40, 0, "1048576",
      "bytes of guest console text printed per VM (further text is counted, not printed)",
      F(console_budget) },
    { "timeout", K_UINT, 0, 86400000, 0, "120000", "ms (0 = none)", F(timeout_ms) },
    { "trace", K_ONOFF, 0, 0, "on|off", "off", 0, F(trace) },
    { "trace_events", K_UINT, CFG_TRACE_MIN_EVENTS, CFG_TRACE_MAX_EVENTS, 0, "16384",
      "events per pCPU", F(trace_events) },
    { "backend", K_WORD, 0, 0, "auto|svm|vmx", "auto", 0, F(backend) },
    { "nmi_test", K_ONOFF, 0, 0, "on|off", "off", 0, F(nmi_test) },
    { "hw_off", K_WORD, 0, 0, "none|vpid|preempt_timer|ple|nrips|pause_filter|flush_asid|"
      "vmcb_clean|decode_assists|all", "none", 0, F(hw_off) },
    { "done", K_CHOICE, 0, 0, "exit|halt|reboot", "exit", 0, F(done) },
    { "ips", K_UINT, 0, CFG_IPS_MAX, 0, "0",
      "instructions per second of an instruction-timed platform (0 = calibrate the TSC)",
      F(ips) },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int fail(struct cfg_error *err, const char *key, const char *value,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct cfg_error *err, const char *key, const char *value,
                const char *fmt, ...)
{
    char why[576];
    va_list ap;
    va_start(ap, fmt);
    pv_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    pv_snprintf(err->key, sizeof(err->key), "%s", key);
    pv_snprintf(err->value, sizeof(err->value), "%s", value);
    pv_snprintf(err->message, sizeof(err->message), "%s=%s: %s", key, value, why);
    return -1;
}

/* The keys the guest reads, so the ones a vmN. prefix may set for one VM.
   Everything else is the hypervisor's, shared by all VMs. crash= is not
   here: it already names its VM. */
static const char *const guest_keys[] = {
    "task", "lock", "spin_threshold", "preempt_check", "locks", "cs", "think",
    "duration", "ops", "seed", "tlb", "tlb_pages", "tlb_writers", "fuzz_ops",
    "fuzz_extra",
};
#define NGUEST_KEYS (sizeof(guest_keys) / sizeof(guest_keys[0]))

static void *field(struct cfg *c, const struct key *k) { return (char *)c + k->off; }

static const void *cfield(const struct cfg *c, const struct key *k)
{
    return (const char *)c + k->off;
}

static void store(struct cfg *c, const struct key *k, const char *v, uint64_t n)
{
    switch (k->kind) {
    case K_UINT:
    case K_SIZE:
        *(uint64_t *)field(c, k) = n;
        break;
    case K_ONOFF:
        *(int *)field(c, k) = !strcmp(v, "on");
        break;
    case K_CHOICE:
        *(int *)field(c, k) = cfg_word_index(v, k->words);
        break;
    default:
        pv_snprintf(field(c, k), k->size, "%s", v);
        break;
    }
}

/* A table row whose field does not match its kind is a bug; the first
   cfg_parse (every unit test, every boot) reports it. */
static int field_fits(const struct key *k)
{
    switch (k->kind) {
    case K_UINT:
    case K_SIZE:
        return k->size == sizeof(uint64_t);
    case K_ONOFF:
    case K_CHOICE:
    case K_CRASH:
        return k->size == sizeof(int);
    default:
        return k->size > strlen(k->def);
    }
}

static void describe_allowed(const struct key *k, char *buf, size_t n)
{
    switch (k->kind) {
    case K_UINT:
        pv_snprintf(buf, n, "allowed: %lu..%lu %s", k->min, k->max, k->unit ? k->unit : "");
        break;
    case K_SIZE:
        pv_snprintf(buf, n, "allowed: %luM..%luM in multiples of %luM, "
                    "written with a K/M/G suffix or in bytes",
                    k->min / MIB, k->max / MIB, CFG_MEM_ALIGN / MIB);
        break;
    case K_TASKS:
        pv_snprintf(buf, n, "allowed: a comma-separated list of %s, each at most once",
                    k->words);
        break;
    case K_WORDS:
        pv_snprintf(buf, n, "allowed: %s, or a comma-separated list of them, each at "
                    "most once", k->words);
        break;
    default:
        pv_snprintf(buf, n, "allowed: %s", k->words);
        break;
    }
}

static int apply(struct cfg *c, const struct key *k, const char *v, struct cfg_error *err)
{
    char allowed[160];
    uint64_t n = 0;

    describe_allowed(k, allowed, sizeof(allowed));
    switch (k->kind) {
    case K_UINT:
        if (pv_parse_u64(v, strlen(v), &n))
            return fail(err, k->name, v, "not a number; %s", allowed);
        if (n < k->min || n > k->max)
#ifdef PVHV_MUTANT_accept_bad_key      /* planted bug: make test-mutants */
            if (strcmp(k->name, "slice"))
#endif
            return fail(err, k->name, v, "out of range; %s", allowed);
        break;
    case K_SIZE:
        if (cfg_parse_size(v, &n))
            return fail(err, k->name, v, "not a size; %s", allowed);
        if (n < k->min || n > k->max || n % CFG_MEM_ALIGN)
            return fail(err, k->name, v, "out of range; %s", allowed);
        break;
    case K_WORD:
    case K_ONOFF:
    case K_CHOICE:
        if (!cfg_word_in(v, k->words))
            return fail(err, k->name, v, "unknown value; %s", allowed);
        break;
    case K_WORDS:
        if (!cfg_words_in(v, k->words))
            return fail(err, k->name, v, "unknown value or list; %s", allowed);
        break;
    case K_TASKS:
        if (cfg_parse_tasks(v, c))
            return fail(err, k->name, v, "unknown task list; %s", allowed);
        return 0;
    case K_CRASH:
        if (cfg_parse_crash(v, c))
            return fail(err, k->name, v, "malformed; allowed: %s", k->words);
        return 0;
    }
    store(c, k, v, n);
    return 0;
}

static int check_combination(const struct cfg *c, struct cfg_error *err)
{
    char v[24];
    if (c->ple_window_max && c->ple_window_max < c->ple_window) {
        pv_snprintf(v, sizeof(v), "%lu", c->ple_window_max);
        return fail(err, "ple_window_max", v, "below ple_window=%lu; allowed: 0 (the "
                    "hardware's largest) or %lu..4294967295", c->ple_window, c->ple_window);
    }
    if (c->vms * c->vcpus > CFG_MAX_TOTAL_VCPUS) {
        pv_snprintf(v, sizeof(v), "%lu", c->vcpus);
        return fail(err, "vcpus", v, "vms=%lu x vcpus=%lu = %lu vCPUs; allowed: at most %u in all",
                    c->vms, c->vcpus, c->vms * c->vcpus, CFG_MAX_TOTAL_VCPUS);
    }
    if ((c->tasks & CFG_TASK_TLBSTRESS) && c->tlb_writers >= c->vcpus) {
        pv_snprintf(v, sizeof(v), "%lu", c->tlb_writers);
        return fail(err, "tlb_writers", v, "tlbstress needs a reader: with vcpus=%lu, "
                    "allowed: 1..%lu writers (and vcpus >= 2)", c->vcpus,
                    c->vcpus > 1 ? c->vcpus - 1 : 1);
    }
    if (c->crash != CFG_CRASH_NONE && c->crash_vm >= c->vms) {
        pv_snprintf(v, sizeof(v), "%lu:%s", c->crash_vm,
                    c->crash == CFG_CRASH_TRIPLE ? "triple" : "npf");
        return fail(err, "crash", v, "there is no VM %lu; allowed: 0..%lu",
                    c->crash_vm, c->vms - 1);
    }
    return 0;
}

#define VM_PREFIX_NONE (-1)
#define VM_PREFIX_BAD  (-2)

/* "vm12.task" -> 12; VM_PREFIX_NONE for a word without a vmN. prefix. */
static int vm_prefix(const char *word)
{
    const char *dot = word;
    uint64_t n;

    if (strncmp(word, "vm", 2))
        return VM_PREFIX_NONE;
    while (*dot && *dot != '.')
        dot++;
    if (!*dot)
        return VM_PREFIX_NONE;            /* "vms": an ordinary key */
    for (const char *d = word + 2; d < dot; d++)
        if (*d < '0' || *d > '9')
            return VM_PREFIX_BAD;
    if (pv_parse_u64(word + 2, (size_t)(dot - word - 2), &n) || n >= CFG_MAX_VMS * 1000)
        return VM_PREFIX_BAD;
    return (int)n;
}

static unsigned key_index(const char *name)
{
    unsigned k = 0;
    while (k < NKEYS && strcmp(keys[k].name, name))
        k++;
    return k;
}

static int is_guest_key(const char *name)
{
    for (unsigned i = 0; i < NGUEST_KEYS; i++)
        if (!strcmp(guest_keys[i], name))
            return 1;
    return 0;
}

static void guest_key_list(char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < NGUEST_KEYS && len + 1 < n; i++)
        len += (size_t)pv_snprintf(buf + len, n - len, "%s%s", i ? " " : "", guest_keys[i]);
}

/* An error from a check of VM vm's effective value, renamed after the
   vmN.key the user wrote. */
static int rename_for_vm(struct cfg_error *err, unsigned vm)
{
    char key[sizeof(err->key)], msg[sizeof(err->message)];
    memcpy(key, err->key, sizeof(key));
    memcpy(msg, err->message, sizeof(msg));
    pv_snprintf(err->key, sizeof(err->key), "vm%u.%s", vm, key);
    pv_snprintf(err->message, sizeof(err->message), "vm%u.%s", vm, msg);
    return -1;
}

static struct cfg scratch;   /* parsing runs once, on one CPU */

/* Records vmN.name=v after checking what does not depend on other words:
   the key is a guest-task key, given once for that VM, with a valid value.
   Whether VM N exists is checked once vms= is known. */
static int add_override(struct cfg *c, unsigned vm, const char *word, const char *v,
                        struct cfg_error *err)
{
    const char *name = word;
    char list[200];
    while (*name != '.')
        name++;
    name++;
    unsigned k = key_index(name);
    guest_key_list(list, sizeof(list));
    if (k == NKEYS)
        return fail(err, word, v, "unknown key; allowed: vmN.KEY with KEY one of %s", list);
    if (!is_guest_key(name))
        return fail(err, word, v, "%s is hypervisor-wide, not a guest-task key; "
                    "allowed: vmN.KEY with KEY one of %s", name, list);
    for (unsigned i = 0; i < c->nr_overrides; i++)
        if (c->overrides[i].vm == vm && c->overrides[i].key == k)
            return fail(err, word, v, "given twice; allowed: each key at most once per VM");
    if (c->nr_overrides == CFG_MAX_OVERRIDES)
        return fail(err, word, v, "too many overrides; allowed: at most %u vmN.KEY words",
                    CFG_MAX_OVERRIDES);
    if (!*v) {
        char allowed[160];
        describe_allowed(&keys[k], allowed, sizeof(allowed));
        return fail(err, word, v, "empty value; %s", allowed);
    }
    if (strlen(v) >= CFG_VALUE_MAX)
        return fail(err, word, v, "value longer than %u characters; allowed: shorter values",
                    CFG_VALUE_MAX - 1);
    scratch = *c;
    if (apply(&scratch, &keys[k], v, err))
        return rename_for_vm(err, vm);
    struct cfg_override *o = &c->overrides[c->nr_overrides++];
    o->vm = vm;
    o->key = k;
    pv_snprintf(o->value, sizeof(o->value), "%s", v);
    return 0;
}

void cfg_vm(const struct cfg *c, unsigned vm, struct cfg *out)
{
    struct cfg_error ignored;
    *out = *c;
    for (unsigned i = 0; i < c->nr_overrides; i++)
        if (c->overrides[i].vm == vm)
            apply(out, &keys[c->overrides[i].key], c->overrides[i].value, &ignored);
}

/* Every override names an existing VM, and every VM's effective
   configuration passes the same combination checks as the global one. */
static int check_overrides(const struct cfg *c, struct cfg_error *err)
{
    for (unsigned i = 0; i < c->nr_overrides; i++) {
        const struct cfg_override *o = &c->overrides[i];
        if (o->vm >= c->vms) {
            char key[40];
            pv_snprintf(key, sizeof(key), "vm%u.%s", o->vm, keys[o->key].name);
            return fail(err, key, o->value, "there is no VM %u; allowed: vm0..vm%lu (vms=%lu)",
                        o->vm, c->vms - 1, c->vms);
        }
    }
    for (unsigned vm = 0; vm < c->vms && c->nr_overrides; vm++) {
        cfg_vm(c, vm, &scratch);
        if (check_combination(&scratch, err))
            return rename_for_vm(err, vm);
    }
    return 0;
}

int cfg_parse(const char *cmdline, struct cfg *c, struct cfg_error *err)
{
    int seen[NKEYS] = { 0 };

    memset(c, 0, sizeof(*c));
    memset(err, 0, sizeof(*err));
    for (unsigned i = 0; i < NKEYS; i++) {
        if (!field_fits(&keys[i]))
            return fail(err, keys[i].name, keys[i].def, "bug: the option table's field "
                        "does not match the key's kind");
        if (apply(c, &keys[i], keys[i].def, err))
            return -1;   /* a bad default is a bug the unit tests catch */
    }

    for (const char *p = cmdline ? cmdline : ""; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        char word[WORD_MAX];
        size_t wl = (size_t)(p - w);
        if (wl >= sizeof(word)) {
            pv_snprintf(word, 40, "%s", w);
            return fail(err, "cmdline", word, "word longer than %u characters; "
                        "allowed: key=value words of at most %u characters",
                        WORD_MAX - 1, WORD_MAX - 1);
        }
        memcpy(word, w, wl);
        word[wl] = '\0';
        char *eq = word;
        while (*eq && *eq != '=')
            eq++;
        if (!*eq)
            return fail(err, word[0] ? word : "cmdline", "",
                        "expected key=value; allowed: space-separated key=value words");
        *eq = '\0';
        const char *v = eq + 1;
        int vm = vm_prefix(word);
        if (vm == VM_PREFIX_BAD)
            return fail(err, word, v, "malformed VM number; allowed: vmN.KEY=VALUE "
                        "with N a decimal VM number");
        if (vm >= 0) {
            if (add_override(c, (unsigned)vm, word, v, err))
                return -1;
            continue;
        }
        unsigned k = 0;
        while (k < NKEYS && strcmp(keys[k].name, word))
            k++;
        if (k == NKEYS) {
            char known[520];
            size_t len = 0;
            for (unsigned i = 0; i < NKEYS && len + 1 < sizeof(known); i++) {
                int w = pv_snprintf(known + len, sizeof(known) - len, "%s%s",
                                    i ? " " : "", keys[i].name);
                len = len + (size_t)w < sizeof(known) ? len + (size_t)w : sizeof(known) - 1;
            }
            return fail(err, word, v, "unknown key; known keys: %s", known);
        }
        if (seen[k])
            return fail(err, word, v, "given twice; allowed: each key at most once");
        seen[k] = 1;
        if (!*v) {
            char allowed[160];
            describe_allowed(&keys[k], allowed, sizeof(allowed));
            return fail(err, word, v, "empty value; %s", allowed);
        }
        if (apply(c, &keys[k], v, err))
            return -1;
    }
    if (check_combination(c, err))
        return -1;
    return check_overrides(c, err);
}

int cfg_check_platform(const struct cfg *c, uint64_t largest_free_run,
                       struct cfg_error *err)
{
    char v[24];
    /* VMs are allocated one after another; require the worst case to fit
       as whole runs, with a reserve for tables and control blocks. */
    uint64_t reserve = 8 * MIB + c->vms * c->vcpus * 16 * 4096;
    uint64_t need = c->vms * c->mem + reserve;
    if (need > largest_free_run) {
        pv_snprintf(v, sizeof(v), "%luM", c->mem / MIB);
        return fail(err, "mem", v,
                    "vms=%lu x %luM plus %luM of hypervisor reserve exceeds the "
                    "%luM of free memory", c->vms, c->mem / MIB, reserve / MIB,
                    largest_free_run / MIB);
    }
    return 0;
}

static const char *const crash_names[] = {
    [CFG_CRASH_TRIPLE] = "triple", [CFG_CRASH_NPF] = "npf", [CFG_CRASH_HALT] = "halt",
    [CFG_CRASH_SPIN] = "spin", [CFG_CRASH_ACLOOP] = "acloop",
};

static void value_of(const struct cfg *c, const struct key *k, char *buf, size_t n,
                     int *is_number)
{
    *is_number = k->kind == K_UINT;
    switch (k->kind) {
    case K_UINT:
        pv_snprintf(buf, n, "%lu", *(const uint64_t *)cfield(c, k));
        break;
    case K_SIZE:
        pv_snprintf(buf, n, "%luM", *(const uint64_t *)cfield(c, k) / MIB);
        break;
    case K_ONOFF:
        pv_snprintf(buf, n, "%s", *(const int *)cfield(c, k) ? "on" : "off");
        break;
    case K_CHOICE:
        cfg_nth_word(k->words, *(const int *)cfield(c, k), buf, n);
        break;
    case K_CRASH:
        if (c->crash == CFG_CRASH_NONE)
            pv_snprintf(buf, n, "none");
        else
            pv_snprintf(buf, n, "%lu:%s", c->crash_vm, crash_names[c->crash]);
        break;
    default:
        pv_snprintf(buf, n, "%s", (const char *)cfield(c, k));
        break;
    }
}

void cfg_for_each_guest(const struct cfg *c,
                        void (*fn)(void *ctx, const char *key, const char *value,
                                   int is_number),
                        void *ctx)
{
    for (unsigned i = 0; i < NGUEST_KEYS; i++) {
        char v[64];
        int num;
        value_of(c, &keys[key_index(guest_keys[i])], v, sizeof(v), &num);
        fn(ctx, guest_keys[i], v, num);
    }
}

void cfg_for_each(const struct cfg *c,
                  void (*fn)(void *ctx, const char *key, const char *value, int is_number),
                  void *ctx)
{
    for (unsigned i = 0; i < NKEYS; i++) {
        char v[64];
        int num;
        value_of(c, &keys[i], v, sizeof(v), &num);
        fn(ctx, keys[i].name, v, num);
    }
}

struct fmt_ctx {
    char *buf;
    size_t n, len;
};

static void append_kv(void *ctx, const char *key, const char *value, int is_number)
{
    struct fmt_ctx *f = ctx;
    (void)is_number;
    size_t room = f->len < f->n ? f->n - f->len : 0;
    f->len += (size_t)pv_snprintf(f->buf + (f->len < f->n ? f->len : f->n), room,
                                  "%s%s=%s", f->len ? " " : "", key, value);
}

int cfg_format_cmdline(const struct cfg *c, char *buf, size_t n)
{
    struct fmt_ctx f = { buf, n, 0 };
    if (n)
        buf[0] = '\0';
    cfg_for_each(c, append_kv, &f);
    return f.len < n ? 0 : -1;
}

unsigned cfg_key_count(void) { return NKEYS; }

const char *cfg_key_info(unsigned i, const char **def, const char **words, char *allowed,
                         size_t n)
{
    if (i >= NKEYS)
        return 0;
    *def = keys[i].def;
    *words = keys[i].words;
    describe_allowed(&keys[i], allowed, n);
    return keys[i].name;
}
