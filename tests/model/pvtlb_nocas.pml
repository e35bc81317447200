/*
 * Mutant of pvtlb.pml: the sender hands a preempted target over by reading
 * PREEMPTED and then storing PREEMPTED|FLUSH_TLB, not by compare-and-swap.
 * The hypervisor's swap on entry can fall in between; the target then runs
 * without the flush, and spin must find the stale translation.
 */
#define NO_CAS
#include "pvtlb.pml"
