/*
 * The chosen backend's ops table and the run-wide settings backends read;
 * enabling the backend on a pCPU (the choice itself is hv/backend.c).
 */
#include "virt.h"
#include "barrier.h"

#include "fmt.h"
#include "pvstring.h"
#include "xstate.h"
#include "../core/panic.h"
#include "../core/percpu.h"
#include "../core/x86.h"

const struct virt_ops *virt;
struct virt_settings virt_settings;
char virt_features[VIRT_FEATURES_MAX];
struct virt_caps virt_caps;

void virt_apply_caps(void)
{
    virt_settings.ple_hw = virt_settings.ple && virt_caps.pause_loop_hw;
    vm_barrier_probe();
}

uint32_t virt_off_bits(const char *w)
{
    static const struct { const char *name; uint32_t bits; } words[] = {
        { "none", 0 }, { "vpid", VIRT_OFF_VPID }, { "preempt_timer", VIRT_OFF_PREEMPT_TIMER },
        { "ple", VIRT_OFF_PLE }, { "nrips", VIRT_OFF_NRIPS },
        { "pause_filter", VIRT_OFF_PAUSE_FILTER }, { "flush_asid", VIRT_OFF_FLUSH_ASID },
        { "vmcb_clean", VIRT_OFF_VMCB_CLEAN },
        { "decode_assists", VIRT_OFF_DECODE }, { "all", ~0u },
    };
    for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(w, words[i].name))
            return words[i].bits;
    panic("hw_off=%s passed cfg validation but has no meaning here", w);
}

void virt_feature_use(const char *name)
{
    size_t len = strlen(virt_features), add = strlen(name) + (len ? 1 : 0);
    if (len + add >= VIRT_FEATURES_MAX)
        panic("virt_features overflows at '%s'", name);
    if (len)
        virt_features[len++] = ' ';
    memcpy(virt_features + len, name, strlen(name) + 1);
}

void virt_cpu_enable(struct percpu *cpu)
{
    char err[160];
    xstate_cpu_init();   /* before the backend records the host CR4 */
    if (virt->cpu_enable(cpu, err, sizeof(err)))
        panic("cannot enable %s on pCPU %u: %s", virt->name, cpu->index, err);
}
