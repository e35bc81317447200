/*
 * A FIFO of runnable vCPUs, shared by the policies (rr serves it in order,
 * gang serves the entries of the VM whose turn it is). Callers hold the
 * scheduler lock.
 */
#ifndef HV_RUNQ_H
#define HV_RUNQ_H

struct sched_entity;

struct runq {
    struct sched_entity *head, *tail;
};

void runq_push(struct runq *q, struct sched_entity *v, int front);
void runq_remove(struct runq *q, struct sched_entity *v);
/* First entry for which match(v, arg) is true (any entry if match is
   NULL), removed from the queue; NULL if none. */
struct sched_entity *runq_take(struct runq *q, int (*match)(const struct sched_entity *, long), long arg);
int runq_any(const struct runq *q, int (*match)(const struct sched_entity *, long), long arg);

#endif
