/*
 * KVM's dynamic pause-loop window (arch/x86/kvm/vmx/vmx.c grow_ple_window /
 * shrink_ple_window; svm.c does the same with its pause filter count): each
 * vCPU has its own window, which grows on every pause-loop exit, so a vCPU
 * that spins on a lock whose holder is running is soon left alone, and
 * shrinks each time the vCPU is scheduled in. A modifier below the base
 * window multiplies or divides; one at or above it adds or subtracts; a
 * modifier of 0 means "back to the base window". The backend writes the
 * window before the next entry when it changed (ple_window_dirty).
 */
#include "ple.h"

#include "vcpu.h"

static uint32_t base(void) { return virt_settings.ple_window; }

static uint32_t limit(void)
{
    return virt_settings.ple_window_max ? virt_settings.ple_window_max
                                        : virt_settings.ple_window_limit;
}

static void set(struct vcpu *v, uint32_t w)
{
    if (w != v->ple_window) {
        v->ple_window = w;
        v->ple_window_dirty = 1;
    }
    if (w > v->stats.ple_window_peak)
        v->stats.ple_window_peak = w;
}

static void settle(struct vcpu *v)
{
    if (!v->ple_window)
        set(v, base());
}

void ple_window_grow(struct vcpu *v)
{
    uint64_t w, mod = virt_settings.ple_grow;

    settle(v);
    if (mod < 1)
        w = base();
    else if (mod < base())
        w = (uint64_t)v->ple_window * mod;
    else
        w = (uint64_t)v->ple_window + mod;
    set(v, (uint32_t)(w < limit() ? w : limit()));
}

void ple_window_shrink(struct vcpu *v)
{
    uint64_t w, mod = virt_settings.ple_shrink;

    settle(v);
    if (mod < 1)
        w = base();
    else if (mod < base())
        w = v->ple_window / mod;
    else
        w = v->ple_window > mod ? v->ple_window - mod : 0;
    set(v, (uint32_t)(w > base() ? w : base()));
}
