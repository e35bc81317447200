/*
 * Mutant of pvqspin.pml: a queued waiter halts right after announcing
 * HALTED, without re-reading node->locked. A predecessor that set locked
 * just before, and so saw the waiter RUNNING and did not hash it, never
 * arranges a kick: spin must find that waiter asleep forever (invalid end
 * state).
 */
#define NO_RECHECK
#include "pvqspin.pml"
