/*
 * Hypercall dispatch. Numbers follow KVM where KVM has the call (KICK_CPU,
 * SEND_IPI, SCHED_YIELD); pvhv's own calls sit in PV_HC_BASE's range. Every
 * argument comes from the guest and is validated before use; a bad one
 * returns -errno in RAX and never ends the VM.
 */
#include "hypercall.h"

#include "fmt.h"
#include "jsoncheck.h"
#include "pv_abi.h"
#include "pvstring.h"
#include "lockinfo.h"
#include "tlb_hv.h"
#include "../core/console.h"
#ifdef PVHV_MUTANT_start_race
#include "../core/time.h"
#include "../core/x86.h"
#endif
#include "../trace/trace.h"
#include "../virt/io.h"
#include "../virt/irq.h"
#include "../virt/oplog.h"
#include "../virt/start.h"
#include "../virt/vcpu.h"
#include "../virt/vm.h"

#define ICR_VECTOR_MASK     0xFFull
#define ICR_DELIVERY_MASK   0x700ull   /* must be "fixed" (0) */
#define SEND_IPI_BITS       128
#define REPORT_KIND_PREFIX  "{\"kind\":\""

uint32_t pv_features(void)
{
    return (1u << PV_FEATURE_PV_UNHALT) | (1u << PV_FEATURE_PV_SEND_IPI) |
           (1u << PV_FEATURE_PV_SCHED_YIELD) | (1u << PV_FEATURE_STEAL_TIME) |
           (1u << PV_FEATURE_PV_TLB_FLUSH) | (1u << PV_FEATURE_HV_TLB_FLUSH);
}

static struct vcpu *target_vcpu(struct vcpu *v, uint64_t apic_id)
{
    if (apic_id >= v->vm->nr_vcpus)
        return 0;
    return &v->vm->vcpus[apic_id];
}

static int64_t hc_kick_cpu(struct vcpu *v, uint64_t flags, uint64_t apic_id)
{
    struct vcpu *t = target_vcpu(v, apic_id);
    if (flags != 0 || !t)
        return -PV_EINVAL;
    t->stats.kicks_received++;
    trace(TR_KICK, v->vm->id, v->id, t->id);
#ifdef PVHV_MUTANT_skip_kick            /* planted bug: make test-mutants */
    return 0;
#endif
    __atomic_store_n(&t->se.kicked, 1, __ATOMIC_SEQ_CST);
    sched_notify(&t->se, 1);
    return 0;
}

static int64_t hc_send_ipi(struct vcpu *v, uint64_t lo, uint64_t hi, uint64_t min,
                           uint64_t icr)
{
    uint8_t vector = (uint8_t)(icr & ICR_VECTOR_MASK);
    int64_t sent = 0;

    if ((icr & ~ICR_VECTOR_MASK) & ICR_DELIVERY_MASK || vector < GUEST_VECTOR_MIN)
        return -PV_EINVAL;
    /* Check every target first: an invalid one sends nothing. */
    for (unsigned bit = 0; bit < SEND_IPI_BITS; bit++) {
        uint64_t word = bit < 64 ? lo : hi;
        if ((word >> (bit % 64)) & 1)
            if (min + bit < min || !target_vcpu(v, min + bit))
                return -PV_EINVAL;
    }
    for (unsigned bit = 0; bit < SEND_IPI_BITS; bit++) {
        uint64_t word = bit < 64 ? lo : hi;
        if ((word >> (bit % 64)) & 1) {
            struct vcpu *t = target_vcpu(v, min + bit);
            if (t->se.state != VCPU_RUNNING)    /* the sender may wait on it */
                trace(TR_IPI_WAIT, v->vm->id, v->id, t->id | (uint32_t)t->se.state << 16);
            vcpu_raise_irq(t, vector);
            sent++;
        }
    }
    return sent;
}

static int64_t hc_vcpu_start(struct vcpu *v, uint64_t id, uint64_t gpa)
{
    struct vm *vm = v->vm;
    const struct pv_vcpu_context *c = vm_gpa_to_hva(vm, gpa, sizeof(*c));

    if (id == 0 || id >= vm->nr_vcpus)
        return -PV_EINVAL;
    if (!c)
        return -PV_EFAULT;
    struct pv_vcpu_context ctx = *c;   /* the guest may change it meanwhile */
    int64_t bad = vcpu_start_check(vm, &ctx);
    if (bad)
        return bad;
    struct vcpu *t = &vm->vcpus[id];
    /* Check and claim in one step: of two siblings starting the same vCPU
       at once exactly one rewrites its context (on VMX the other would load
       a VMCS active on another pCPU); the other gets -EBUSY. */
#ifdef PVHV_MUTANT_start_race           /* planted bug: make test-mutants */
    if (t->se.state != VCPU_NEW)        /* the old check-then-act, its window */
        return -PV_EBUSY;               /* held open until the sibling's call */
    __atomic_add_fetch(&t->start_claimed, 1, __ATOMIC_ACQ_REL);   /* passed it too */
    /* PAUSE: single-threaded QEMU runs one pCPU at a time and only PAUSE
       (or its 100 ms kick) hands the thread to the sibling's pCPU. */
    for (uint64_t end = rdtsc() + tsc_hz;
         __atomic_load_n(&t->start_claimed, __ATOMIC_ACQUIRE) < 2 && rdtsc() < end;)
        cpu_relax();
#else
    if (t->se.state != VCPU_NEW ||
        __atomic_exchange_n(&t->start_claimed, 1, __ATOMIC_ACQ_REL))
        return -PV_EBUSY;
#endif
    vcpu_start_long64(t, &ctx);
    sched_start(&t->se);
    return 0;
}

static int reserved_kind(const char *k, size_t len)
{
    static const char *const reserved[] = { "run", "vm", "end", "hv_vcpu", "pcpu",
                                            "error", "sched", "vm_config" };
    for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strlen(reserved[i]) == len && !strncmp(reserved[i], k, len))
            return 1;
    return 0;
}

static int64_t hc_report(struct vcpu *v, uint64_t gpa, uint64_t len)
{
    char buf[PV_REPORT_MAX + 1];
    const size_t plen = sizeof(REPORT_KIND_PREFIX) - 1;

    if (len <= plen || len >= PV_REPORT_MAX)
        return -PV_E2BIG;
    const char *src = vm_gpa_to_hva(v->vm, gpa, len);
    if (!src)
        return -PV_EFAULT;
    memcpy(buf, src, len);
    buf[len] = '\0';
    if (strncmp(buf, REPORT_KIND_PREFIX, plen) || buf[len - 1] != '}')
        return -PV_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (buf[i] < 0x20 || buf[i] > 0x7E)
            return -PV_EINVAL;
    /* Exactly one object, unique escape-free keys, no vm/vcpu of its own:
       the tools must read the same kind and fields as checked here. */
    static const char *const hv_keys[] = { "vm", "vcpu", 0 };
    const char *kind;
    size_t klen;
    enum pv_json_verdict verdict = pv_json_check_object(buf, len, hv_keys, &kind, &klen);
    if (verdict == PV_JSON_DUP_KEY || verdict == PV_JSON_ESCAPED_KEY ||
        verdict == PV_JSON_FORBIDDEN_KEY || verdict == PV_JSON_NO_KIND)
        return -PV_EPERM;
    if (verdict != PV_JSON_OK)
        return -PV_EINVAL;
    if (reserved_kind(kind, klen))
        return -PV_EPERM;
    /* The printed line is guest output too: it comes out of the VM's
       console_budget (else REPORTs in a loop would hold the serial line). */
    char line[PV_REPORT_MAX + 48];
    int n = pv_snprintf(line, sizeof(line), "@pvhv {\"vm\":%u,\"vcpu\":%u,%s\n", v->vm->id,
                        v->id, buf + 1);
    if (!console_take(v, (uint64_t)n)) {
        __atomic_fetch_add(&v->vm->reports_dropped, 1, __ATOMIC_RELAXED);
        return -PV_ENOSPC;
    }
    hv_printf("%s", line);
    return 0;
}

static int64_t hc_console_write(struct vcpu *v, uint64_t gpa, uint64_t len)
{
    const char *src = vm_gpa_to_hva(v->vm, gpa, len);
    if (len > PV_REPORT_MAX)
        return -PV_E2BIG;
    if (!src)
        return -PV_EFAULT;
    for (uint64_t i = 0; i < len; i++)
        console_guest_byte(v, src[i]);
    return (int64_t)len;
}

enum exit_action handle_hypercall(struct vcpu *v, struct vexit *e)
{
    struct vcpu_regs *r = &v->regs;
    int64_t ret;
    enum exit_action act = ACT_CONTINUE;

    vcpu_skip_insn(v, e);
    /* As KVM: only the guest kernel may call; its user mode gets -EPERM
       (VM_DONE included, so a guest process cannot end the VM). */
    if (e->cpl != 0) {
        v->stats.hypercalls[HC_STAT_INVALID]++;
        r->rax = (uint64_t)-PV_EPERM;
        return ACT_CONTINUE;
    }
    switch (r->rax) {
    case PV_HC_KICK_CPU:
        v->stats.hypercalls[HC_STAT_KICK_CPU]++;
        ret = hc_kick_cpu(v, r->rbx, r->rcx);
        /* kick_yield=on: the unlocker hands its pCPU to the next holder
           when that one has to wait for a pCPU. */
        if (ret == 0 && sched_kick_yield(&v->se, &target_vcpu(v, r->rcx)->se))
            act = ACT_YIELD;
        break;
    case PV_HC_SEND_IPI:
        v->stats.hypercalls[HC_STAT_SEND_IPI]++;
        ret = hc_send_ipi(v, r->rbx, r->rcx, r->rdx, r->rsi);
        break;
    case PV_HC_SCHED_YIELD:
        v->stats.hypercalls[HC_STAT_SCHED_YIELD]++;
        if (!target_vcpu(v, r->rbx)) {
            ret = -PV_EINVAL;
            break;
        }
        ret = 0;
        act = sched_yield_to(&v->se, &target_vcpu(v, r->rbx)->se) ? ACT_YIELD
                                                                        : ACT_CONTINUE;
        break;
    case PV_HC_VCPU_START:
        v->stats.hypercalls[HC_STAT_VCPU_START]++;
        ret = hc_vcpu_start(v, r->rbx, r->rcx);
        break;
    case PV_HC_REPORT:
        v->stats.hypercalls[HC_STAT_REPORT]++;
        ret = hc_report(v, r->rbx, r->rcx);
        break;
    case PV_HC_CONSOLE_WRITE:
        v->stats.hypercalls[HC_STAT_CONSOLE_WRITE]++;
        ret = hc_console_write(v, r->rbx, r->rcx);
        break;
    case PV_HC_LOCKINFO:
        v->stats.hypercalls[HC_STAT_LOCKINFO]++;
        ret = lockinfo_register(v, r->rbx, r->rcx);
        break;
    case PV_HC_FLUSH_TLB:
        v->stats.hypercalls[HC_STAT_FLUSH_TLB]++;
        ret = tlb_hv_flush(v, r->rbx, r->rcx);
        break;
    case PV_HC_OPLOG:
        v->stats.hypercalls[HC_STAT_OPLOG]++;
        ret = vm_oplog_register(v->vm, r->rbx);
        break;
    case PV_HC_VM_DONE:
        v->stats.hypercalls[HC_STAT_VM_DONE]++;
        if (v->line_len)
            console_guest_byte(v, '\n');
        vm_finish(v->vm, VM_DONE, r->rbx, r->rbx ? "guest reported failure code %lu"
                                                   : "guest finished", r->rbx);
        return ACT_STOP;
    default:
        v->stats.hypercalls[HC_STAT_INVALID]++;
        ret = -PV_ENOSYS;
        break;
    }
    r->rax = (uint64_t)ret;
    return act;
}
