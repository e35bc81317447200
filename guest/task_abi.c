/*
 * task=abi: hostile input from inside a VM. vCPU0 feeds the hypervisor
 * invalid hypercall arguments and MSR values and checks that each one is
 * refused the documented way (-errno in RAX, or #GP for an MSR) while the
 * VM keeps running; and that legal control-register writes the hypervisor
 * may trap (CR0.NE) behave as on hardware. Proves "no guest input can crash the hypervisor" for
 * every check listed here, in every run that asks for it.
 */
#include "tasks.h"

#include "arch.h"
#include "console.h"
#include "env.h"
#include "fmt.h"
#include "hypercall.h"
#include "idt.h"
#include "pv_abi.h"
#include "report.h"

#define EXC_GP 13
#define WRMSR_LEN 2
#define RESERVED_VECTOR 8      /* below 32: not an external interrupt */
#define BAD_GPA (1ull << 46)

static unsigned checks, failures;
static struct pv_steal_time probe_area __attribute__((aligned(PV_STEAL_TIME_ALIGN)));
static struct pv_lockinfo probe_lockinfo __attribute__((aligned(PV_LOCKINFO_ALIGN)));

static void expect_ret(const char *what, long got, long want)
{
    checks++;
    if (got != want) {
        failures++;
        kprintf("abi: %s returned %ld, expected %ld\n", what, got, want);
    }
}

static void expect_gp_on_wrmsr(const char *what, uint32_t msr, uint64_t val)
{
    checks++;
    idt_expect_fault(EXC_GP, WRMSR_LEN);
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
    if (!idt_fault_seen()) {
        failures++;
        kprintf("abi: %s: wrmsr 0x%x <- 0x%lx did not raise #GP\n", what, msr, val);
    }
}

static uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

/*
 * A control-register write a hypervisor may have to emulate (VMX keeps
 * CR0.NE host-owned): clearing CR0.NE is legal and must read back as
 * written. (A reserved CR4 bit is not probed: QEMU 7.2 TCG's SVM was seen to
 * answer such a guest write with exit code 0xFFFFFFFF instead of #GP, which
 * kills the VM.)
 */
static void cr_checks(void)
{
    uint64_t cr0 = read_cr0();
    checks++;
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~(uint64_t)CR0_NE) : "memory");
    uint64_t seen = read_cr0();
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
    if (seen != (cr0 & ~(uint64_t)CR0_NE) || read_cr0() != cr0) {
        failures++;
        kprintf("abi: CR0 0x%lx with NE cleared read back 0x%lx (restored: 0x%lx)\n",
                cr0, seen, read_cr0());
    }
}

static enum guest_fail_code abi_run(unsigned cpu)
{
    char json[160];

    if (cpu != 0 || !env.pv)
        return FAIL_NONE;
    uint64_t area = (uint64_t)(uintptr_t)&probe_area;
    uint64_t mem = env.bi->mem_bytes;

    expect_ret("KICK_CPU flags!=0", hypercall4(PV_HC_KICK_CPU, 1, 0, 0, 0), -PV_EINVAL);
    expect_ret("KICK_CPU bad APIC ID", hypercall4(PV_HC_KICK_CPU, 0, 4096, 0, 0), -PV_EINVAL);
    expect_ret("SEND_IPI vector<32",
               hypercall4(PV_HC_SEND_IPI, 1, 0, 0, RESERVED_VECTOR), -PV_EINVAL);
    expect_ret("SEND_IPI target beyond vCPUs",
               hypercall4(PV_HC_SEND_IPI, 1ull << 63, 0, 0, 0xF0), -PV_EINVAL);
    expect_ret("SEND_IPI base overflow",
               hypercall4(PV_HC_SEND_IPI, 2, 0, ~0ull, 0xF0), -PV_EINVAL);
    expect_ret("VCPU_START id 0", hypercall4(PV_HC_VCPU_START, 0, area, 0, 0), -PV_EINVAL);
    expect_ret("VCPU_START context outside RAM",
               hypercall4(PV_HC_VCPU_START, 1 % env.bi->nr_vcpus ? 1 : 4096, BAD_GPA, 0, 0),
               env.bi->nr_vcpus > 1 ? -PV_EFAULT : -PV_EINVAL);
    expect_ret("REPORT outside RAM", hypercall4(PV_HC_REPORT, mem - 4, 64, 0, 0), -PV_EFAULT);
    int n = pv_snprintf(json, sizeof(json), "{\"kind\":\"end\",\"status\":\"pass\"}");
    expect_ret("REPORT reserved kind",
               hypercall4(PV_HC_REPORT, (uint64_t)(uintptr_t)json, (uint64_t)n, 0, 0), -PV_EPERM);
    expect_ret("REPORT too long",
               hypercall4(PV_HC_REPORT, (uint64_t)(uintptr_t)json, PV_REPORT_MAX, 0, 0), -PV_E2BIG);
    expect_ret("SCHED_YIELD bad APIC ID", hypercall4(PV_HC_SCHED_YIELD, 4096, 0, 0, 0), -PV_EINVAL);
    expect_ret("unknown hypercall", hypercall4(PV_HC_BASE + 99, 0, 0, 0, 0), -PV_ENOSYS);
    uint64_t li = (uint64_t)(uintptr_t)&probe_lockinfo;
    expect_ret("LOCKINFO misaligned GPA",
               hypercall4(PV_HC_LOCKINFO, li + 8, PV_LOCKINFO_ENABLE, 0, 0), -PV_EINVAL);
    expect_ret("LOCKINFO GPA outside RAM",
               hypercall4(PV_HC_LOCKINFO, mem, PV_LOCKINFO_ENABLE, 0, 0), -PV_EFAULT);
    expect_ret("LOCKINFO GPA far outside RAM",
               hypercall4(PV_HC_LOCKINFO, BAD_GPA, PV_LOCKINFO_ENABLE, 0, 0), -PV_EFAULT);
    expect_ret("LOCKINFO unknown flags",
               hypercall4(PV_HC_LOCKINFO, li, PV_LOCKINFO_ENABLE | 2, 0, 0), -PV_EINVAL);
    expect_ret("LOCKINFO valid", hypercall4(PV_HC_LOCKINFO, li, PV_LOCKINFO_ENABLE, 0, 0), 0);
    expect_ret("LOCKINFO off", hypercall4(PV_HC_LOCKINFO, 0, 0, 0, 0), 0);
    expect_gp_on_wrmsr("steal time misaligned GPA", PV_MSR_STEAL_TIME,
                       (area + 8) | PV_STEAL_TIME_ENABLE);
    expect_gp_on_wrmsr("steal time GPA outside RAM", PV_MSR_STEAL_TIME,
                       (mem - PV_STEAL_TIME_ALIGN / 2) | PV_STEAL_TIME_ENABLE);
    expect_gp_on_wrmsr("EFER reserved bit", 0xC0000080u, 1ull << 20);
    expect_gp_on_wrmsr("unknown MSR", 0x12345678u, 0);
    cr_checks();

    n = pv_snprintf(json, sizeof(json), "{\"kind\":\"abi\",\"checks\":%u,\"failures\":%u}",
                    checks, failures);
    report_json(json, (size_t)n);
    kprintf("abi: %u hostile-input checks, %u unexpected results\n", checks, failures);
    return failures ? FAIL_VIOLATIONS : FAIL_NONE;
}

const struct task task_abi = {
    .name = "abi",
    .configure = 0,
    .run = abi_run,
};
