/*
 * Boot hand-over: recognise who started us, validate what they handed over
 * (nothing from outside is trusted blindly), and fill in env.
 */
#include "env.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "hypercall.h"
#include "paging.h"
#include "pic.h"
#include "pvstring.h"
#include "smp.h"
#include "tsc.h"

struct guest_env env;

/* Natively the guest builds the boot info pvhv would have given it. */
static struct pv_boot_info native_bi;

/* The multiboot1 info fields the guest reads. */
struct mb1_info {
    uint32_t flags;
    uint32_t mem_lower; /* KiB below 1 MiB */
    uint32_t mem_upper; /* KiB above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;   /* physical address of a C string */
};

extern char __image_end[];

static void detect_pv(void)
{
    uint32_t a, sig[3], b, c, d;

    cpuid(PV_CPUID_SIGNATURE, 0, &a, &sig[0], &sig[1], &sig[2]);
    if (memcmp(sig, PV_SIGNATURE, 12) != 0 || a < PV_CPUID_FEATURES)
        return;
    env.pv = 1;
    cpuid(PV_CPUID_FEATURES, 0, &env.pv_features, &b, &c, &d);
}

/* Fails unless [gpa, gpa + len) lies inside what boot32.asm mapped. */
static int gpa_mapped(uint64_t gpa, uint64_t len)
{
    uint64_t mapped = paging_mapped_bytes();
    return gpa < mapped && len <= mapped - gpa;
}

static void init_pv(uint32_t info_gpa)
{
    const struct pv_boot_info *bi;

    hypercall_init();
    if (!env.pv) {
        /* VM_DONE would need the hypercall the signature promises. */
        console_init(0);
        kprintf("guest: PV_BOOT_MAGIC but no \"%s\" CPUID signature; "
                "halting\n", PV_SIGNATURE);
        cpu_park();
    }
    console_init(0);
    if (!gpa_mapped(info_gpa, sizeof(*bi)))
        guest_fail(FAIL_CONFIG, "boot info GPA outside mapped RAM");
    bi = (const struct pv_boot_info *)(uintptr_t)info_gpa;
    if (bi->magic != PV_BOOT_INFO_MAGIC || bi->version != PV_BOOT_INFO_VERSION) {
        kprintf("guest: boot info magic 0x%x version %u, want 0x%x version "
                "%u\n", bi->magic, bi->version, PV_BOOT_INFO_MAGIC,
                PV_BOOT_INFO_VERSION);
        guest_fail(FAIL_CONFIG, "bad boot info");
    }
    env.bi = bi;
}

static void init_native(uint32_t info_gpa)
{
    const struct mb1_info *mb = (const struct mb1_info *)(uintptr_t)info_gpa;
    uint64_t mem = 0;

    env.pv = 0;
    env.pv_features = 0;
    console_init(1);
    pic_disable();
    env.bi = &native_bi;
    native_bi.magic = PV_BOOT_INFO_MAGIC;
    native_bi.version = PV_BOOT_INFO_VERSION;
    native_bi.vm_id = 0;
    native_bi.nr_vcpus = 1;
    native_bi.seed = 0;
    native_bi.free_start = (uintptr_t)__image_end;
    if (!gpa_mapped(info_gpa, sizeof(*mb)))
        guest_fail(FAIL_CONFIG, "multiboot info outside mapped RAM");
    if (mb->flags & MB1_INFO_MEM)
        mem = ((uint64_t)mb->mem_upper + 1024) * 1024;
    if (mem > GUEST_MAP_LIMIT) {
        /* A real machine: boot32.asm mapped one page directory's worth. */
        kprintf("guest: %lu MiB of RAM below the first hole; using the first "
                "%llu MiB (what one page directory maps)\n", mem >> 20,
                GUEST_MAP_LIMIT >> 20);
        mem = GUEST_MAP_LIMIT;
    }
    native_bi.mem_bytes = mem;
    if (mb->flags & MB1_INFO_CMDLINE && gpa_mapped(mb->cmdline, 1)) {
        const char *s = (const char *)(uintptr_t)mb->cmdline;
        size_t i;
        for (i = 0; i + 1 < PV_CMDLINE_MAX && gpa_mapped(mb->cmdline + i, 1)
                    && s[i]; i++)
            native_bi.cmdline[i] = s[i];
        native_bi.cmdline[i] = 0;
    }
    native_bi.tsc_hz = tsc_calibrate_pit();
    if (native_bi.tsc_hz == 0)
        guest_fail(FAIL_CONFIG, "TSC calibration: the PIT never counted "
                                "down");
    native_bi.nr_vcpus = smp_native_discover();
}

static int terminated(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == 0)
            return 1;
    return 0;
}

/* Checks both paths share: the numbers every task relies on. */
static void validate(void)
{
    const struct pv_boot_info *bi = env.bi;

    if (bi->nr_vcpus < 1 || bi->nr_vcpus > PV_MAX_VCPUS) {
        kprintf("guest: nr_vcpus %u, allowed 1..%u\n", bi->nr_vcpus,
                PV_MAX_VCPUS);
        guest_fail(FAIL_CONFIG, "bad vCPU count");
    }
    if (bi->mem_bytes < (uintptr_t)__image_end ||
        bi->mem_bytes > GUEST_MAP_LIMIT) {
        kprintf("guest: mem_bytes %lu, allowed %lu..%llu (image end .. one "
                "page directory)\n", bi->mem_bytes, (uintptr_t)__image_end,
                GUEST_MAP_LIMIT);
        guest_fail(FAIL_CONFIG, "bad RAM size");
    }
    if (bi->tsc_hz == 0)
        guest_fail(FAIL_CONFIG, "TSC frequency unknown (0)");
    if (!terminated(bi->cmdline, PV_CMDLINE_MAX))
        guest_fail(FAIL_CONFIG, "command line not terminated");
}

void env_init(uint32_t magic, uint32_t info_gpa)
{
    detect_pv();
    if (magic == PV_BOOT_MAGIC) {
        init_pv(info_gpa);
    } else if (magic == MB1_BOOT_MAGIC) {
        if (env.pv) {
            /* Booted by a multiboot loader inside some VM with our
               signature: no pvhv hand-over, so run as native. */
            env.pv = 0;
        }
        init_native(info_gpa);
    } else {
        env.pv = 0;
        console_init(1);
        kprintf("guest: unknown boot magic 0x%x (want 0x%x pvhv or 0x%x "
                "multiboot)\n", magic, PV_BOOT_MAGIC, MB1_BOOT_MAGIC);
        env.bi = &native_bi;
        guest_fail(FAIL_CONFIG, "unknown boot protocol");
    }
    validate();
}
