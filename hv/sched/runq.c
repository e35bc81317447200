/*
 * Singly linked run queue through sched_entity->next. The queues hold a few dozen
 * vCPUs at most, so linear scans are cheaper than any index.
 */
#include "runq.h"

#include "sched.h"

void runq_push(struct runq *q, struct sched_entity *v, int front)
{
    v->next = 0;
    if (!q->head) {
        q->head = q->tail = v;
    } else if (front) {
        v->next = q->head;
        q->head = v;
    } else {
        q->tail->next = v;
        q->tail = v;
    }
}

static void unlink(struct runq *q, struct sched_entity *prev, struct sched_entity *v)
{
    if (prev)
        prev->next = v->next;
    else
        q->head = v->next;
    if (q->tail == v)
        q->tail = prev;
    v->next = 0;
}

void runq_remove(struct runq *q, struct sched_entity *v)
{
    struct sched_entity *prev = 0;
    for (struct sched_entity *c = q->head; c; prev = c, c = c->next) {
        if (c == v) {
            unlink(q, prev, c);
            return;
        }
    }
}

struct sched_entity *runq_take(struct runq *q, int (*match)(const struct sched_entity *, long), long arg)
{
    struct sched_entity *prev = 0;
    for (struct sched_entity *c = q->head; c; prev = c, c = c->next) {
        if (!match || match(c, arg)) {
            unlink(q, prev, c);
            return c;
        }
    }
    return 0;
}

int runq_any(const struct runq *q, int (*match)(const struct sched_entity *, long), long arg)
{
    for (struct sched_entity *c = q->head; c; c = c->next)
        if (!match || match(c, arg))
            return 1;
    return 0;
}
