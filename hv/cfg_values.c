/*
 * The value grammar of the command line: see cfg_values.h.
 */
#include "cfg_values.h"

#include "fmt.h"
#include "pvstring.h"

#define WORD_MAX 128

int cfg_word_in(const char *v, const char *words)
{
    size_t vl = strlen(v);
    for (const char *p = words; *p;) {
        const char *e = p;
        while (*e && *e != '|')
            e++;
        if ((size_t)(e - p) == vl && !strncmp(p, v, vl))
            return 1;
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* A ','-separated list of allowed words, each at most once (so the list
   always fits the field that stores it). */
int cfg_words_in(const char *v, const char *words)
{
    for (const char *p = v;;) {
        const char *e = p;
        char item[WORD_MAX];

        while (*e && *e != ',')
            e++;
        if (e == p || (size_t)(e - p) >= sizeof(item))
            return 0;
        memcpy(item, p, (size_t)(e - p));
        item[e - p] = 0;
        if (!cfg_word_in(item, words))
            return 0;
        for (const char *q = v; q < p;) {       /* repeated? */
            const char *qe = q;
            while (*qe != ',')
                qe++;
            if (qe - q == e - p && !strncmp(q, p, (size_t)(e - p)))
                return 0;
            q = qe + 1;
        }
        if (!*e)
            return 1;
        p = e + 1;
    }
}

int cfg_parse_size(const char *v, uint64_t *out)
{
    size_t len = strlen(v);
    uint64_t mul = 1, n;
    if (len && (v[len - 1] == 'K' || v[len - 1] == 'k'))
        mul = 1ull << 10;
    else if (len && (v[len - 1] == 'M' || v[len - 1] == 'm'))
        mul = 1ull << 20;
    else if (len && (v[len - 1] == 'G' || v[len - 1] == 'g'))
        mul = 1ull << 30;
    if (mul != 1)
        len--;
    if (pv_parse_u64(v, len, &n) || (n && n > UINT64_MAX / mul))
        return -1;
    *out = n * mul;
    return 0;
}

static const struct {
    const char *name;
    uint32_t bit;
} task_names[] = {
    { "smp", CFG_TASK_SMP },
    { "lockstress", CFG_TASK_LOCKSTRESS },
    { "tlbstress", CFG_TASK_TLBSTRESS },
    { "abi", CFG_TASK_ABI },
    { "hog", CFG_TASK_HOG },
    { "fuzz", CFG_TASK_FUZZ },
    { "hcall", CFG_TASK_HCALL },
    { "xstate", CFG_TASK_XSTATE },
    { "pingpong", CFG_TASK_PINGPONG },
};

/* The keys the guest reads, so the ones a vmN. prefix may set for one VM.
   Everything else is the hypervisor's, shared by all VMs. crash= is not
   here: it already names its VM. */
/* Tasks run in the order given; each at most once, so the list always fits
   c->task and the guest sees exactly what the run record shows. */
int cfg_parse_tasks(const char *v, struct cfg *c)
{
    uint32_t t = 0;
    for (const char *p = v;;) {
        const char *e = p;
        while (*e && *e != ',')
            e++;
        size_t l = (size_t)(e - p);
        unsigned i = 0;
        while (i < sizeof(task_names) / sizeof(task_names[0]) &&
               (strlen(task_names[i].name) != l || strncmp(p, task_names[i].name, l)))
            i++;
        if (i == sizeof(task_names) / sizeof(task_names[0]) || (t & task_names[i].bit))
            return -1;          /* unknown, empty (",," or trailing) or repeated */
        t |= task_names[i].bit;
        if (!*e)
            break;
        p = e + 1;
    }
    c->tasks = t;
    pv_snprintf(c->task, sizeof(c->task), "%s", v);
    return 0;
}

int cfg_parse_crash(const char *v, struct cfg *c)
{
    if (!strcmp(v, "none")) {
        c->crash = CFG_CRASH_NONE;
        return 0;
    }
    const char *colon = v;
    while (*colon && *colon != ':')
        colon++;
    if (!*colon || pv_parse_u64(v, (size_t)(colon - v), &c->crash_vm))
        return -1;
    if (!strcmp(colon + 1, "triple"))
        c->crash = CFG_CRASH_TRIPLE;
    else if (!strcmp(colon + 1, "npf"))
        c->crash = CFG_CRASH_NPF;
    else if (!strcmp(colon + 1, "halt"))
        c->crash = CFG_CRASH_HALT;
    else if (!strcmp(colon + 1, "spin"))
        c->crash = CFG_CRASH_SPIN;
    else if (!strcmp(colon + 1, "acloop"))
        c->crash = CFG_CRASH_ACLOOP;
    else
        return -1;
    return 0;
}

/* The position of v in a '|'-separated word list (v is known to be one). */
int cfg_word_index(const char *v, const char *words)
{
    size_t vl = strlen(v);
    int i = 0;
    for (const char *p = words;; i++) {
        const char *e = p;
        while (*e && *e != '|')
            e++;
        if ((size_t)(e - p) == vl && !strncmp(p, v, vl))
            return i;
        p = e + 1;
    }
}

/* The n-th word of a '|'-separated list, into buf. */
void cfg_nth_word(const char *words, int n, char *buf, size_t len)
{
    const char *p = words;
    for (; n > 0 && *p; p++)
        if (*p == '|')
            n--;
    size_t l = 0;
    while (p[l] && p[l] != '|' && l + 1 < len) {
        buf[l] = p[l];
        l++;
    }
    buf[l] = '\0';
}
