/*
 * Log2 latency histograms, shared by the hypervisor (kick-to-run latency) and
 * the guest tasks (lock acquire, shootdown latency). Bucket i counts values v
 * with floor(log2(v)) == i (v == 0 goes to bucket 0), so percentiles are
 * reported as the upper bound of their bucket.
 */
#ifndef PVHV_HIST_H
#define PVHV_HIST_H

#include <stddef.h>
#include <stdint.h>

#define PV_HIST_BUCKETS 64

struct pv_hist {
    uint64_t count;
    uint64_t sum;
    uint64_t max;
    uint64_t bucket[PV_HIST_BUCKETS];
};

void pv_hist_add(struct pv_hist *h, uint64_t v);
void pv_hist_merge(struct pv_hist *into, const struct pv_hist *from);
/* Upper bound (2^(i+1)-1, capped at max) of the bucket holding the pct-th
   percentile; 0 for an empty histogram. pct in 1..100. */
uint64_t pv_hist_percentile(const struct pv_hist *h, unsigned pct);
/* Writes {"count":..,"sum":..,"p50":..,"p99":..,"max":..,"buckets":[..]}
   with trailing empty buckets left out. Returns the length it needed (like
   snprintf); the output is truncated but terminated if n is too small. */
int pv_hist_json(char *buf, size_t n, const struct pv_hist *h);

#endif
