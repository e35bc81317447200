/*
 * Backend selection: SVM today (VMX is a planned twin behind the same ops).
 */
#include "virt.h"

#include "fmt.h"
#include "pvstring.h"
#include "../core/panic.h"
#include "../core/percpu.h"

const struct virt_ops *virt;
struct virt_settings virt_settings;

const struct virt_ops *virt_probe(const char *forced, char *err, unsigned errlen)
{
    char why[160];
    const struct virt_ops *ops = svm_probe(why, sizeof(why));

    if (ops)
        return ops;
    if (!strcmp(forced, "svm"))
        pv_snprintf(err, errlen, "backend=svm: %s", why);
    else
        pv_snprintf(err, errlen, "no usable virtualization backend: %s "
                    "(this build supports AMD SVM with nested paging; VMX is not implemented yet)",
                    why);
    return 0;
}

void virt_cpu_enable(struct percpu *cpu)
{
    char err[160];
    if (virt->cpu_enable(cpu, err, sizeof(err)))
        panic("cannot enable %s on pCPU %u: %s", virt->name, cpu->index, err);
}
