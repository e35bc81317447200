/* The stress window of a task's rate (see window.h). */
#include "window.h"

uint64_t pv_stress_window(const struct pv_span *spans, unsigned n, int ops,
                          uint64_t *count)
{
    uint64_t first = UINT64_MAX, last = 0;

    *count = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct pv_span *s = &spans[i];
        uint64_t stop = ops ? s->end : s->deadline;

        if (!s->start)
            continue;
        *count += ops ? s->total : s->in_window;
        first = s->start < first ? s->start : first;
        last = stop > last ? stop : last;
    }
    if (last <= first) {
        *count = 0;
        return 0;
    }
    return last - first;
}
