/*
 * Per-pCPU event buffers for trace=on. Each pCPU appends only to its own
 * buffer (no lock on the hot path); the BSP prints them once every pCPU has
 * parked. Records are batches of events with times relative to the previous
 * event, so a run's whole trace stays small on a 115200-baud console.
 */
#include "trace.h"

#include "fmt.h"
#include "pvstring.h"
#include "../cfg.h"
#include "../core/console.h"
#include "../core/json.h"
#include "../core/percpu.h"
#include "../core/time.h"
#include "../core/x86.h"
#include "../mm/frame.h"

#define TRACE_BATCH_CHARS 3072   /* the "ev" array of one record, < JSON_MAX */
#define TRACE_EVENT_CHARS 64     /* the longest event we print, with margin */

struct trace_event {
    uint64_t tsc;
    uint8_t type;
    uint8_t vm;             /* < CFG_MAX_VMS */
    uint16_t vcpu;          /* < CFG_MAX_VCPUS */
    uint32_t arg;
};
_Static_assert(sizeof(struct trace_event) == 16, "16-byte trace events");
_Static_assert(CFG_MAX_VMS <= 256 && CFG_MAX_VCPUS <= 65536, "ids fit the event");

struct trace_buf {
    struct trace_event *ev;
    uint64_t len;           /* events stored */
    uint64_t dropped;       /* events that found the buffer full */
};

int trace_enabled;
static uint64_t capacity;   /* events per pCPU */
static uint64_t epoch;      /* TSC that event times are relative to */
static struct trace_buf bufs[MAX_PCPUS];

static const char *const type_names[TR_TYPES] = {
    [TR_IN] = "in", [TR_OUT] = "out", [TR_KICK] = "kick",
    [TR_LHP] = "lhp", [TR_WPRE] = "waiter_preempt", [TR_IPI_WAIT] = "ipi_not_running",
};
static const char *const out_names[TR_OUT_REASONS] = {
    [TR_OUT_PREEMPT] = "preempt", [TR_OUT_YIELD] = "yield",
    [TR_OUT_BLOCK] = "block", [TR_OUT_STOP] = "stop",
};

int trace_init(const struct cfg *cfg)
{
    if (!cfg->trace)
        return 0;
    capacity = cfg->trace_events;
    uint64_t frames = (capacity * sizeof(struct trace_event) + FRAME_SIZE - 1) / FRAME_SIZE;
    for (unsigned i = 0; i < nr_pcpus; i++) {
        uint64_t pa = frame_alloc_contig(frames, FRAME_SIZE);
        if (!pa) {
            hv_printf("pvhv: trace: no %lu contiguous free frames for pCPU %u's "
                      "%lu events\n", frames, i, capacity);
            return -1;
        }
        bufs[i].ev = (struct trace_event *)(uintptr_t)pa;
    }
    epoch = rdtsc();
    __atomic_store_n(&trace_enabled, 1, __ATOMIC_RELEASE);
    return 0;
}

void trace_record(enum trace_type type, unsigned vm, unsigned vcpu, uint32_t arg)
{
    struct trace_buf *b = &bufs[this_cpu()->index];

    if (b->len >= capacity) {
        b->dropped++;
        return;
    }
    b->ev[b->len++] = (struct trace_event){
        .tsc = rdtsc(), .type = (uint8_t)type, .vm = (uint8_t)vm, .vcpu = (uint16_t)vcpu,
        .arg = arg,
    };
}

static void names_array(char *out, size_t n, const char *const *names, unsigned count)
{
    size_t len = 0;
    for (unsigned i = 0; i < count && len < n; i++)
        len += (size_t)pv_snprintf(out + len, n - len, "%s\"%s\"", i ? "," : "[", names[i]);
    if (len + 2 <= n)
        pv_snprintf(out + len, n - len, "]");
}

static void info_record(void)
{
    struct json j;
    char types[256], outs[128];

    names_array(types, sizeof(types), type_names, TR_TYPES);
    names_array(outs, sizeof(outs), out_names, TR_OUT_REASONS);
    json_begin(&j, "trace_info");
    json_u64(&j, "events_per_pcpu", capacity);
    json_u64(&j, "tsc_hz", tsc_hz);
    json_u64(&j, "epoch_tsc", epoch);
    json_raw(&j, "types", types);
    json_raw(&j, "out_reasons", outs);
    json_str(&j, "event", "[dt_cycles,type,vm,vcpu,arg]; dt from the previous event "
                          "of the record, the first from epoch_tsc");
    json_emit(&j);
}

/* One pCPU: "trace" records of as many events as fit, then the totals. */
static void pcpu_records(unsigned cpu)
{
    const struct trace_buf *b = &bufs[cpu];
    static char ev[TRACE_BATCH_CHARS + TRACE_EVENT_CHARS];
    uint64_t i = 0, batch = 0;

    while (i < b->len) {
        struct json j;
        uint64_t first = i, prev = epoch;
        size_t len = 1;

        ev[0] = '[';
        while (i < b->len && len + TRACE_EVENT_CHARS < TRACE_BATCH_CHARS) {
            const struct trace_event *e = &b->ev[i];
            uint64_t t = e->tsc > prev ? e->tsc - prev : 0;  /* pCPUs' TSCs agree */
            len += (size_t)pv_snprintf(ev + len, sizeof(ev) - len, "%s[%lu,%u,%u,%u,%u]",
                                       i == first ? "" : ",", t, e->type, e->vm,
                                       e->vcpu, e->arg);
            prev = e->tsc > prev ? e->tsc : prev;
            i++;
        }
        ev[len++] = ']';
        ev[len] = '\0';
        json_begin(&j, "trace");
        json_u64(&j, "pcpu", cpu);
        json_u64(&j, "batch", batch++);
        json_u64(&j, "first", first);
        json_raw(&j, "ev", ev);
        json_emit(&j);
    }
    struct json j;
    json_begin(&j, "trace_pcpu");
    json_u64(&j, "pcpu", cpu);
    json_u64(&j, "recorded", b->len);
    json_u64(&j, "dropped", b->dropped);
    json_u64(&j, "batches", batch);
    json_emit(&j);
    if (b->dropped)
        hv_printf("pvhv: trace: pCPU %u dropped %lu events (buffer of %lu full); "
                  "raise trace_events=\n", cpu, b->dropped, capacity);
}

void trace_report(void)
{
    if (!trace_enabled)
        return;
    __atomic_store_n(&trace_enabled, 0, __ATOMIC_RELEASE);
    info_record();
    for (unsigned i = 0; i < nr_pcpus; i++)
        pcpu_records(i);
}
