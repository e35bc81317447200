/*
 * Bitmap frame allocator (1 bit per 4 KiB frame, set = in use). Guest RAM is
 * allocated once per VM as one aligned run, so a linear scan is enough; a
 * lock makes it safe to call from any pCPU.
 */
#include "frame.h"

#include "../core/spinlock.h"

#define BITS_PER_WORD 64

static uint64_t bitmap[FRAME_COUNT / BITS_PER_WORD];
static uint64_t nr_free;
static spinlock_t frame_lock = SPINLOCK_INIT;

static int is_used(uint64_t f) { return (bitmap[f / BITS_PER_WORD] >> (f % BITS_PER_WORD)) & 1; }

static void set_used(uint64_t f, int used)
{
    uint64_t bit = 1ull << (f % BITS_PER_WORD);
    if (used && !is_used(f)) {
        bitmap[f / BITS_PER_WORD] |= bit;
        nr_free--;
    } else if (!used && is_used(f)) {
        bitmap[f / BITS_PER_WORD] &= ~bit;
        nr_free++;
    }
}

static void mark_range(uint64_t start, uint64_t end, int used)
{
    if (start >= FRAME_LIMIT || end <= start)
        return;
    if (end > FRAME_LIMIT)
        end = FRAME_LIMIT;
    /* Free only whole frames inside the range; reserve every frame touched. */
    uint64_t first = used ? start / FRAME_SIZE : (start + FRAME_SIZE - 1) / FRAME_SIZE;
    uint64_t last = used ? (end + FRAME_SIZE - 1) / FRAME_SIZE : end / FRAME_SIZE;
    for (uint64_t f = first; f < last; f++)
        set_used(f, used);
}

void frame_init(const struct mem_region *usable, unsigned nr_usable,
                const struct mem_region *reserved, unsigned nr_reserved,
                uint64_t *ignored_bytes)
{
    uint64_t ignored = 0;

    for (uint64_t i = 0; i < FRAME_COUNT / BITS_PER_WORD; i++)
        bitmap[i] = ~0ull;
    nr_free = 0;
    for (unsigned i = 0; i < nr_usable; i++) {
        const struct mem_region *r = &usable[i];
        if (r->end <= r->start)
            continue;
        if (r->end > FRAME_LIMIT)
            ignored += r->end - (r->start > FRAME_LIMIT ? r->start : FRAME_LIMIT);
        mark_range(r->start, r->end, 0);
    }
    /* Usable regions may overlap (firmware maps do); reservations win. */
    for (unsigned i = 0; i < nr_reserved; i++)
        mark_range(reserved[i].start, reserved[i].end, 1);
    set_used(0, 1);
    if (ignored_bytes)
        *ignored_bytes = ignored;
}

static uint64_t find_run(uint64_t count, uint64_t align)
{
    uint64_t step = align / FRAME_SIZE;
    if (step == 0)
        step = 1;
    for (uint64_t f = step; f + count <= FRAME_COUNT; f += step) {
        uint64_t n = 0;
        while (n < count && !is_used(f + n))
            n++;
        if (n == count)
            return f;
        /* Skip past the used frame, keeping the alignment. */
        f = (f + n) / step * step;
    }
    return 0;
}

uint64_t frame_alloc(void) { return frame_alloc_contig(1, FRAME_SIZE); }

uint64_t frame_alloc_contig(uint64_t count, uint64_t align)
{
    if (count == 0 || align < FRAME_SIZE || (align & (align - 1)))
        return 0;
    spin_lock(&frame_lock);
    uint64_t f = count <= nr_free ? find_run(count, align) : 0;
    if (f)
        for (uint64_t i = 0; i < count; i++)
            set_used(f + i, 1);
    spin_unlock(&frame_lock);
    return f * FRAME_SIZE;
}

int frame_free_contig(uint64_t pa, uint64_t count)
{
    /* Frame 0 is never handed out, and nothing outside the bitmap exists. */
    if (pa % FRAME_SIZE || pa == 0 || pa >= FRAME_LIMIT || count == 0 ||
        count > FRAME_COUNT - pa / FRAME_SIZE)
        return -1;
    spin_lock(&frame_lock);
    for (uint64_t i = 0; i < count; i++)
        set_used(pa / FRAME_SIZE + i, 0);
    spin_unlock(&frame_lock);
    return 0;
}

int frame_free(uint64_t pa) { return frame_free_contig(pa, 1); }

uint64_t frame_free_count(void) { return nr_free; }

uint64_t frame_largest_run(uint64_t align)
{
    uint64_t step = align / FRAME_SIZE, best = 0;
    if (align < FRAME_SIZE || (align & (align - 1)))
        return 0;
    spin_lock(&frame_lock);
    for (uint64_t f = step; f < FRAME_COUNT; f += step) {
        uint64_t n = 0;
        while (f + n < FRAME_COUNT && !is_used(f + n))
            n++;
        if (n > best)
            best = n;
        f = (f + n) / step * step;
    }
    spin_unlock(&frame_lock);
    return best;
}
