/*
 * A tiny seeded PRNG (splitmix64) so tasks and tests draw reproducible
 * random numbers from a seed on the command line, with no libc. Not for
 * anything secret.
 */
#ifndef PVHV_RNG_H
#define PVHV_RNG_H

#include <stdint.h>

/* Any 64-bit value (including 0) is a valid state; it is the seed. */
uint64_t pv_rng_next(uint64_t *state);
/* Uniform in [0, n), without modulo bias; 0 if n == 0. */
uint64_t pv_rng_below(uint64_t *state, uint64_t n);

#endif
