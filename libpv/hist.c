/*
 * Log2 histograms: constant size, one add is a count-leading-zeros, and two
 * histograms merge by adding buckets, so each CPU keeps its own and the
 * report merges them at the end without locks.
 */
#include "hist.h"

#include <stdarg.h>

#include "fmt.h"

#define PCT_ALL 100u
#define P50 50u
#define P99 99u

static unsigned bucket_of(uint64_t v)
{
    return v ? (unsigned)(PV_HIST_BUCKETS - 1 - __builtin_clzll(v)) : 0;
}

void pv_hist_add(struct pv_hist *h, uint64_t v)
{
    h->count++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
    h->bucket[bucket_of(v)]++;
}

void pv_hist_merge(struct pv_hist *into, const struct pv_hist *from)
{
    into->count += from->count;
    into->sum += from->sum;
    if (from->max > into->max)
        into->max = from->max;
    for (unsigned i = 0; i < PV_HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
}

static uint64_t bucket_upper(unsigned i)
{
    return i >= PV_HIST_BUCKETS - 1 ? UINT64_MAX : (UINT64_C(2) << i) - 1;
}

uint64_t pv_hist_percentile(const struct pv_hist *h, unsigned pct)
{
    uint64_t rank, seen = 0;

    if (!h->count)
        return 0;
    if (pct > PCT_ALL)
        pct = PCT_ALL;
    /* Smallest value with at least pct% of the samples at or below it;
       rank >= 1 so pct 0 behaves like the minimum. Divide first so a huge
       count cannot overflow the product. */
    rank = h->count / PCT_ALL * pct +
           (h->count % PCT_ALL * pct + PCT_ALL - 1) / PCT_ALL;
    if (rank == 0)
        rank = 1;
    for (unsigned i = 0; i < PV_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            uint64_t up = bucket_upper(i);
            return up < h->max ? up : h->max;
        }
    }
    return h->max;      /* buckets disagree with count: be conservative */
}

/* Appends to a buffer that may be too small, remembering the length that
   would have been needed, like snprintf does for one call. */
struct jout {
    char *buf;
    size_t n;
    size_t len;
};

static void jput(struct jout *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void jput(struct jout *o, const char *fmt, ...)
{
    va_list ap;
    size_t at = o->len < o->n ? o->len : o->n;
    int r;

    va_start(ap, fmt);
    r = pv_vsnprintf(o->buf ? o->buf + at : o->buf, o->n - at, fmt, ap);
    va_end(ap);
    if (r > 0)
        o->len += (size_t)r;
}

int pv_hist_json(char *buf, size_t n, const struct pv_hist *h)
{
    struct jout o = { .buf = buf, .n = n, .len = 0 };
    unsigned used = PV_HIST_BUCKETS;

    while (used > 0 && h->bucket[used - 1] == 0)
        used--;
    jput(&o, "{\"count\":%llu,\"sum\":%llu,\"p50\":%llu,\"p99\":%llu,"
         "\"max\":%llu,\"buckets\":[",
         (unsigned long long)h->count, (unsigned long long)h->sum,
         (unsigned long long)pv_hist_percentile(h, P50),
         (unsigned long long)pv_hist_percentile(h, P99),
         (unsigned long long)h->max);
    for (unsigned i = 0; i < used; i++)
        jput(&o, "%s%llu", i ? "," : "", (unsigned long long)h->bucket[i]);
    jput(&o, "]}");
    return (int)o.len;
}
