/*
 * The rr policy: one global FIFO of runnable vCPUs served by every pCPU, so
 * a vCPU migrates to whichever pCPU frees up first. With at most a few dozen
 * vCPUs a single queue under the scheduler lock is both fair and cheap.
 */
#include "sched.h"

#include "../virt/vcpu.h"

static struct vcpu *head, *tail;

static void rr_enqueue(struct vcpu *v, int front)
{
    v->next = 0;
    if (!head) {
        head = tail = v;
    } else if (front) {
        v->next = head;
        head = v;
    } else {
        tail->next = v;
        tail = v;
    }
}

static struct vcpu *rr_pick(struct percpu *cpu)
{
    (void)cpu;
    struct vcpu *v = head;
    if (v) {
        head = v->next;
        if (!head)
            tail = 0;
        v->next = 0;
    }
    return v;
}

static void rr_remove(struct vcpu *v)
{
    struct vcpu **pp = &head, *prev = 0;
    while (*pp && *pp != v) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = v->next;
    if (tail == v)
        tail = prev;
    v->next = 0;
}

static int rr_has_runnable(void) { return head != 0; }

const struct sched_policy sched_rr = {
    .name = "rr",
    .enqueue = rr_enqueue,
    .pick = rr_pick,
    .remove = rr_remove,
    .has_runnable = rr_has_runnable,
};
