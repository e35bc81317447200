/*
 * Mutant of pvticket.pml: the hypervisor has no kicked latch, so a kick
 * that lands between a waiter's re-check and its HLT is lost. spin must find
 * a run where that waiter sleeps forever (invalid end state); if it does
 * not, the model is too weak to trust its clean result on pvticket.pml.
 */
#define NO_LATCH
#include "pvticket.pml"
