/*
 * A FIFO of runnable vCPUs, shared by the policies (rr serves it in order,
 * gang serves the entries of the VM whose turn it is). Callers hold the
 * scheduler lock.
 */
#ifndef HV_RUNQ_H
#define HV_RUNQ_H

struct vcpu;

struct runq {
    struct vcpu *head, *tail;
};

void runq_push(struct runq *q, struct vcpu *v, int front);
void runq_remove(struct runq *q, struct vcpu *v);
/* First entry for which match(v, arg) is true (any entry if match is
   NULL), removed from the queue; NULL if none. */
struct vcpu *runq_take(struct runq *q, int (*match)(const struct vcpu *, long), long arg);
int runq_any(const struct runq *q, int (*match)(const struct vcpu *, long), long arg);

#endif
