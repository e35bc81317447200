/*
 * See vmm.h. The boot tables are one PML4 -> one PDPT -> one PD of 2 MiB
 * pages covering [0, 1 GiB); the window is PDPT slot 1 -> window_pd ->
 * window_pt, so its 2 MiB region is split into 4 KiB pages from the start.
 */
#include "vmm.h"
#include "console.h"
#include "cpu.h"
#include "end.h"
#include "env.h"

#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define WINDOW_PDPT_SLOT (VMM_WINDOW_BASE >> 30)

/* Defined in paging.c and filled by boot32.asm. */
extern uint64_t boot_pdpt[PT_ENTRIES];
extern char __image_end[];

_Static_assert(VMM_WINDOW_BASE % (1ull << 30) == 0 && WINDOW_PDPT_SLOT == 1,
               "the window takes PDPT slot 1, right above the identity map");

static uint64_t window_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t window_pt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t next_frame, end_frame;

static uint64_t page_up(uint64_t a)
{
    return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

void vmm_init(void)
{
    uint64_t start = env.bi->free_start;

    if (start < (uintptr_t)__image_end)
        start = (uintptr_t)__image_end;
    next_frame = page_up(start);
    end_frame = env.bi->mem_bytes & ~(PAGE_SIZE - 1);
    if (next_frame > end_frame)
        next_frame = end_frame;
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        __atomic_store_n(&window_pt[i], 0, __ATOMIC_RELEASE);
        window_pd[i] = 0;
    }
    window_pd[0] = (uintptr_t)window_pt | PTE_P | PTE_RW;
    __atomic_store_n(&boot_pdpt[WINDOW_PDPT_SLOT],
                     (uintptr_t)window_pd | PTE_P | PTE_RW, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < VMM_WINDOW_PAGES; i++)
        invlpg(VMM_WINDOW_BASE + i * PAGE_SIZE);
}

uint64_t vmm_alloc_frames(uint64_t n)
{
    uint64_t pa = next_frame;

    if (n > (end_frame - pa) / PAGE_SIZE)
        return 0;
    next_frame = pa + n * PAGE_SIZE;
    return pa;
}

uint64_t vmm_frames_left(void)
{
    return (end_frame - next_frame) / PAGE_SIZE;
}

/* A bad argument is a bug in the caller: stop the VM, say where. */
static uint64_t *pte_of(uintptr_t va)
{
    if (va < VMM_WINDOW_BASE ||
        va >= VMM_WINDOW_BASE + VMM_WINDOW_PAGES * PAGE_SIZE) {
        kprintf("vmm: va 0x%lx outside the window\n", va);
        guest_fail(FAIL_EXCEPTION, "vmm: bad virtual address");
    }
    return &window_pt[(va - VMM_WINDOW_BASE) / PAGE_SIZE];
}

static uint64_t set_pte(uintptr_t va, uint64_t pte)
{
    uint64_t old = __atomic_exchange_n(pte_of(va), pte, __ATOMIC_ACQ_REL);

    invlpg(va);
    return old & PTE_P ? old & PTE_ADDR_MASK : 0;
}

static uint64_t frame_pte(uint64_t pa)
{
    if ((pa & (PAGE_SIZE - 1)) || pa + PAGE_SIZE > env.bi->mem_bytes) {
        kprintf("vmm: frame 0x%lx is not a page of RAM\n", pa);
        guest_fail(FAIL_EXCEPTION, "vmm: bad frame");
    }
    return pa | PTE_P | PTE_RW;
}

void vmm_map(uintptr_t va, uint64_t pa)
{
    set_pte(va, frame_pte(pa));
}

void vmm_unmap(uintptr_t va)
{
    set_pte(va, 0);
}

uint64_t vmm_remap(uintptr_t va, uint64_t pa)
{
    return set_pte(va, frame_pte(pa));
}

uint64_t vmm_lookup(uintptr_t va)
{
    uint64_t pte = __atomic_load_n(pte_of(va), __ATOMIC_ACQUIRE);

    return pte & PTE_P ? pte & PTE_ADDR_MASK : 0;
}
