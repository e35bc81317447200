/*
 * splitmix64: one add and a few multiply/xor-shift steps per number, good
 * statistical quality, and every seed works - enough for picking preemption
 * points and work sizes.
 */
#include "rng.h"

#define SM_GAMMA 0x9e3779b97f4a7c15ULL  /* 2^64 / golden ratio, odd */
#define SM_MUL1  0xbf58476d1ce4e5b9ULL
#define SM_MUL2  0x94d049bb133111ebULL
#define SM_SHIFT1 30
#define SM_SHIFT2 27
#define SM_SHIFT3 31

uint64_t pv_rng_next(uint64_t *state)
{
    uint64_t z = (*state += SM_GAMMA);

    z = (z ^ (z >> SM_SHIFT1)) * SM_MUL1;
    z = (z ^ (z >> SM_SHIFT2)) * SM_MUL2;
    return z ^ (z >> SM_SHIFT3);
}

uint64_t pv_rng_below(uint64_t *state, uint64_t n)
{
    uint64_t limit, r;

    if (n == 0)
        return 0;
    /* Reject the top (2^64 mod n) values so every residue is equally
       likely; -n % n is that count computed in 64 bits. */
    limit = -n % n;
    do {
        r = pv_rng_next(state);
    } while (r < limit);
    return r % n;
}
