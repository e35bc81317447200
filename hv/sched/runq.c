/*
 * Singly linked run queue through vcpu->next. The queues hold a few dozen
 * vCPUs at most, so linear scans are cheaper than any index.
 */
#include "runq.h"

#include "../virt/vcpu.h"

void runq_push(struct runq *q, struct vcpu *v, int front)
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

static void unlink(struct runq *q, struct vcpu *prev, struct vcpu *v)
{
    if (prev)
        prev->next = v->next;
    else
        q->head = v->next;
    if (q->tail == v)
        q->tail = prev;
    v->next = 0;
}

void runq_remove(struct runq *q, struct vcpu *v)
{
    struct vcpu *prev = 0;
    for (struct vcpu *c = q->head; c; prev = c, c = c->next) {
        if (c == v) {
            unlink(q, prev, c);
            return;
        }
    }
}

struct vcpu *runq_take(struct runq *q, int (*match)(const struct vcpu *, long), long arg)
{
    struct vcpu *prev = 0;
    for (struct vcpu *c = q->head; c; prev = c, c = c->next) {
        if (!match || match(c, arg)) {
            unlink(q, prev, c);
            return c;
        }
    }
    return 0;
}

int runq_any(const struct runq *q, int (*match)(const struct vcpu *, long), long arg)
{
    for (struct vcpu *c = q->head; c; c = c->next)
        if (!match || match(c, arg))
            return 1;
    return 0;
}
