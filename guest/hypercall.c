/*
 * The hypercall instruction itself. Both encodings are kept and one is chosen
 * at run time, so the same guest.elf runs on SVM and VMX. Every call is
 * counted, and a native run (no pvhv) never executes one: on bare metal the
 * instruction would fault, and the native baseline must show it used none.
 */
#include "hypercall.h"
#include "cpu.h"
#include "env.h"
#include "pvstring.h"

static int use_vmmcall;
static uint64_t issued, refused;

void hypercall_init(void)
{
    uint32_t a, vendor[3];

    cpuid(0, 0, &a, &vendor[0], &vendor[2], &vendor[1]); /* EBX, EDX, ECX */
    use_vmmcall = memcmp(vendor, "AuthenticAMD", 12) == 0;
}

long hypercall4(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                uint64_t a3)
{
    if (!env.pv) {
        __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
        return -PV_ENOSYS;
    }
    __atomic_add_fetch(&issued, 1, __ATOMIC_RELAXED);
    return hypercall4_uncounted(nr, a0, a1, a2, a3);
}

long hypercall4_uncounted(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                          uint64_t a3)
{
    long ret;

    if (use_vmmcall)
        __asm__ volatile("vmmcall"
                         : "=a"(ret)
                         : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
                         : "memory");
    else
        __asm__ volatile("vmcall"
                         : "=a"(ret)
                         : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
                         : "memory");
    return ret;
}

void hypercalls_account(uint64_t n)
{
    __atomic_add_fetch(&issued, n, __ATOMIC_RELAXED);
}

uint64_t hypercalls_issued(void)
{
    return __atomic_load_n(&issued, __ATOMIC_RELAXED);
}

uint64_t hypercalls_refused(void)
{
    return __atomic_load_n(&refused, __ATOMIC_RELAXED);
}
