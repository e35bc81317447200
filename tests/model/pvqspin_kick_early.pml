/*
 * Mutant of pvqspin.pml: the unlocker of a slow lock kicks the queue head
 * before it clears the locked byte. The head can wake, find the lock still
 * held and marked slow, and halt again with no kick left to come: spin must
 * find that waiter asleep forever (invalid end state).
 */
#define KICK_BEFORE_RELEASE
#include "pvqspin.pml"
