/*
 * The frame allocator hands out the memory every VM runs in, so a frame given
 * twice, a reserved frame given at all, or a miscounted free total is a
 * corrupted guest later. The allocator never touches the memory it manages,
 * so synthetic memory maps are enough. Its bitmap is global: every test
 * starts with its own frame_init.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mm/frame.h"

#define KIB        ((uint64_t)1 << 10)
#define MIB        ((uint64_t)1 << 20)
#define GIB        ((uint64_t)1 << 30)
#define PAGE_2M    (2 * MIB)
#define MAX_TAKEN  4096

#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

static uint64_t taken[MAX_TAKEN];

static int inside(uint64_t pa, const struct mem_region *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (pa >= r[i].start && pa + FRAME_SIZE <= r[i].end)
            return 1;
    return 0;
}

static int touches(uint64_t pa, const struct mem_region *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (pa < r[i].end && pa + FRAME_SIZE > r[i].start)
            return 1;
    return 0;
}

/* Allocates until frame_alloc says 0, checking each frame on the way;
   returns how many it got (they are left in taken[]). */
static unsigned drain(const struct mem_region *usable, unsigned nr_usable,
                      const struct mem_region *reserved, unsigned nr_reserved)
{
    uint64_t before = frame_free_count(), pa;
    unsigned n = 0;

    while ((pa = frame_alloc()) != 0) {
        assert_true(n < MAX_TAKEN);
        assert_int_equal(pa % FRAME_SIZE, 0);
        assert_true(inside(pa, usable, nr_usable));
        assert_false(touches(pa, reserved, nr_reserved));
        for (unsigned i = 0; i < n; i++)
            assert_true(taken[i] != pa);
        taken[n++] = pa;
        assert_int_equal(frame_free_count(), before - n);
    }
    assert_int_equal(frame_free_count(), 0);
    assert_int_equal(frame_alloc(), 0);         /* and stays exhausted */
    return n;
}

static void test_init_counts(void **state)
{
    const struct mem_region one[] = { { 1 * MIB, 2 * MIB } };
    const struct mem_region two[] = { { 1 * MIB, 2 * MIB }, { 8 * MIB, 9 * MIB } };
    const struct mem_region empty[] = { { 5 * MIB, 5 * MIB }, { 6 * MIB, 5 * MIB } };
    uint64_t ignored = 12345;

    (void)state;
    frame_init(one, N(one), NULL, 0, &ignored);
    assert_int_equal(frame_free_count(), MIB / FRAME_SIZE);
    assert_int_equal(ignored, 0);

    frame_init(two, N(two), NULL, 0, &ignored);
    assert_int_equal(frame_free_count(), 2 * MIB / FRAME_SIZE);

    frame_init(empty, N(empty), NULL, 0, NULL);  /* NULL: not interested */
    assert_int_equal(frame_free_count(), 0);
    assert_int_equal(frame_alloc(), 0);

    frame_init(NULL, 0, NULL, 0, &ignored);
    assert_int_equal(frame_free_count(), 0);
    assert_int_equal(ignored, 0);
}

static void test_init_above_limit(void **state)
{
    const struct mem_region usable[] = {
        { FRAME_LIMIT - 1 * MIB, FRAME_LIMIT + 3 * MIB },     /* crosses */
        { FRAME_LIMIT + 1 * GIB, FRAME_LIMIT + 2 * GIB },     /* all above */
        { FRAME_LIMIT - 4 * MIB, FRAME_LIMIT - 2 * MIB },     /* ends below */
    };
    uint64_t ignored = 0;

    (void)state;
    frame_init(usable, N(usable), NULL, 0, &ignored);
    assert_int_equal(ignored, 3 * MIB + 1 * GIB);
    assert_int_equal(frame_free_count(), 3 * MIB / FRAME_SIZE);

    /* the last frame below the limit is usable, nothing above it is */
    assert_int_equal(frame_largest_run(FRAME_SIZE), 2 * MIB / FRAME_SIZE);
    assert_int_equal(frame_alloc_contig(2 * MIB / FRAME_SIZE, FRAME_SIZE),
                     FRAME_LIMIT - 4 * MIB);
    assert_int_equal(frame_largest_run(FRAME_SIZE), MIB / FRAME_SIZE);
    assert_int_equal(frame_alloc_contig(MIB / FRAME_SIZE, FRAME_SIZE),
                     FRAME_LIMIT - 1 * MIB);
    assert_int_equal(frame_free_count(), 0);
    assert_int_equal(frame_alloc(), 0);

    /* a region that ends exactly at the limit loses nothing */
    const struct mem_region top[] = { { FRAME_LIMIT - 64 * KIB, FRAME_LIMIT } };
    frame_init(top, N(top), NULL, 0, &ignored);
    assert_int_equal(ignored, 0);
    assert_int_equal(frame_free_count(), 16);
}

static void test_init_overlap(void **state)
{
    const struct mem_region usable[] = {
        { 1 * MIB, 3 * MIB },
        { 2 * MIB, 4 * MIB },
        { 2 * MIB + 8 * KIB, 2 * MIB + 16 * KIB },            /* inside both */
    };

    (void)state;
    frame_init(usable, N(usable), NULL, 0, NULL);
    assert_int_equal(frame_free_count(), 3 * MIB / FRAME_SIZE);
    assert_int_equal(drain(usable, N(usable), NULL, 0), 3 * MIB / FRAME_SIZE);
}

static void test_init_unaligned(void **state)
{
    const struct mem_region usable[] = {
        { 1 * MIB + 0x800, 2 * MIB - 0x800 },   /* loses a frame each end */
        { 3 * MIB + 1, 3 * MIB + FRAME_SIZE + 1 },      /* no whole frame */
        { 4 * MIB, 4 * MIB + FRAME_SIZE - 1 },          /* no whole frame */
    };
    const struct mem_region whole[] = { { 1 * MIB + FRAME_SIZE, 2 * MIB - FRAME_SIZE } };

    (void)state;
    frame_init(usable, N(usable), NULL, 0, NULL);
    assert_int_equal(frame_free_count(), MIB / FRAME_SIZE - 2);
    assert_int_equal(drain(whole, N(whole), NULL, 0), MIB / FRAME_SIZE - 2);
}

static void test_reserved_wins(void **state)
{
    const struct mem_region usable[] = { { 1 * MIB, 4 * MIB }, { 8 * MIB, 9 * MIB } };
    const struct mem_region reserved[] = {
        { 2 * MIB, 2 * MIB + FRAME_SIZE + 1 },  /* touches two frames */
        { 3 * MIB - 1, 3 * MIB + 1 },           /* touches two frames */
        { 8 * MIB, 9 * MIB },                   /* a whole usable region */
        { 16 * MIB, 17 * MIB },                 /* not usable anyway */
        { FRAME_LIMIT - MIB, FRAME_LIMIT + MIB }, /* crosses the limit */
    };
    const struct mem_region usable_late[] = { { 2 * MIB, 2 * MIB + 64 * KIB } };

    (void)state;
    frame_init(usable, N(usable), reserved, N(reserved), NULL);
    assert_int_equal(frame_free_count(), 3 * MIB / FRAME_SIZE - 4);
    assert_int_equal(drain(usable, N(usable), reserved, N(reserved)),
                     3 * MIB / FRAME_SIZE - 4);

    /* order in the map does not matter: a usable region covering a
       reservation does not bring it back */
    const struct mem_region both[] = { { 1 * MIB, 4 * MIB }, usable_late[0] };
    frame_init(both, N(both), reserved, 2, NULL);
    assert_int_equal(frame_free_count(), 3 * MIB / FRAME_SIZE - 4);
}

static void test_frame_zero(void **state)
{
    const struct mem_region low[] = { { 0, 64 * KIB } };
    const struct mem_region from1[] = { { FRAME_SIZE, 64 * KIB } };

    (void)state;
    frame_init(low, N(low), NULL, 0, NULL);
    assert_int_equal(frame_free_count(), 15);
    assert_int_equal(frame_largest_run(FRAME_SIZE), 15);
    assert_int_equal(frame_largest_run(16 * KIB), 12);         /* frames 4..15 */
    assert_int_equal(frame_alloc_contig(16, FRAME_SIZE), 0);
    /* frame 0 is not a start, but alignment still counts from it */
    assert_int_equal(frame_alloc_contig(4, 16 * KIB), 16 * KIB);
    assert_int_equal(frame_free_contig(16 * KIB, 4), 0);
    assert_int_equal(drain(from1, N(from1), NULL, 0), 15);
}

/* Freeing what the allocator never manages is refused and changes nothing. */
static void test_free_invalid(void **state)
{
    const struct mem_region ram[] = { { 0, 64 * KIB } };

    (void)state;
    frame_init(ram, N(ram), NULL, 0, NULL);
    uint64_t before = frame_free_count();
    assert_int_equal(frame_free(0), -1);
    assert_int_equal(frame_free(FRAME_LIMIT), -1);
    assert_int_equal(frame_free(FRAME_SIZE + 1), -1);
    assert_int_equal(frame_free_contig(FRAME_LIMIT - FRAME_SIZE, 2), -1);
    assert_int_equal(frame_free_count(), before);
}

static void test_alloc_free(void **state)
{
    const struct mem_region usable[] = {
        { 1 * MIB, 1 * MIB + 64 * FRAME_SIZE },
        { 8 * MIB, 8 * MIB + 32 * FRAME_SIZE },
    };
    uint64_t got[10];

    (void)state;
    frame_init(usable, N(usable), NULL, 0, NULL);
    assert_int_equal(frame_free_count(), 96);
    for (unsigned i = 0; i < 10; i++) {
        got[i] = frame_alloc();
        assert_true(got[i] != 0);
        assert_int_equal(frame_free_count(), 96 - i - 1);
    }
    frame_free(got[3]);
    frame_free(got[7]);
    assert_int_equal(frame_free_count(), 88);
    frame_free(got[3]);                 /* a second free changes nothing */
    assert_int_equal(frame_free_count(), 88);

    /* everything else, then exactly the two freed frames come back */
    unsigned n = drain(usable, N(usable), NULL, 0);
    assert_int_equal(n, 88);
    int saw3 = 0, saw7 = 0;
    for (unsigned i = 0; i < n; i++) {
        saw3 |= taken[i] == got[3];
        saw7 |= taken[i] == got[7];
        for (unsigned j = 0; j < 10; j++)
            if (j != 3 && j != 7)
                assert_true(taken[i] != got[j]);
    }
    assert_true(saw3 && saw7);

    /* a freed frame is the next one handed out */
    frame_free(taken[40]);
    assert_int_equal(frame_free_count(), 1);
    assert_int_equal(frame_alloc(), taken[40]);
    assert_int_equal(frame_alloc(), 0);

    /* freeing all of it restores the count */
    for (unsigned i = 0; i < n; i++)
        frame_free(taken[i]);
    for (unsigned j = 0; j < 10; j++)
        frame_free(got[j]);
    assert_int_equal(frame_free_count(), 96);
    assert_int_equal(frame_largest_run(FRAME_SIZE), 64);
}

static void test_contig_alignment(void **state)
{
    const struct mem_region usable[] = { { 1 * MIB, 8 * MIB } };
    uint64_t free0, pa, pb;

    (void)state;
    frame_init(usable, N(usable), NULL, 0, NULL);
    free0 = frame_free_count();

    pa = frame_alloc_contig(512, PAGE_2M);
    assert_int_equal(pa, 2 * MIB);                      /* 1 MiB is not aligned */
    assert_int_equal(frame_free_count(), free0 - 512);
    pb = frame_alloc_contig(512, PAGE_2M);
    assert_int_equal(pb, 4 * MIB);
    assert_int_equal(frame_free_count(), free0 - 1024);

    uint64_t pc = frame_alloc_contig(16, 64 * KIB);
    assert_true(pc != 0);
    assert_int_equal(pc % (64 * KIB), 0);
    assert_true(pc >= 1 * MIB && pc + 16 * FRAME_SIZE <= 2 * MIB);

    /* no single frame handed out later lies in a run */
    unsigned n = drain(usable, N(usable), NULL, 0);
    assert_int_equal(n, free0 - 1024 - 16);
    for (unsigned i = 0; i < n; i++) {
        assert_false(taken[i] >= pa && taken[i] < pb + PAGE_2M);
        assert_false(taken[i] >= pc && taken[i] < pc + 16 * FRAME_SIZE);
    }

    /* a freed run is found again */
    frame_free_contig(pb, 512);
    assert_int_equal(frame_free_count(), 512);
    assert_int_equal(frame_alloc_contig(512, PAGE_2M), pb);
    assert_int_equal(frame_free_count(), 0);
}

static void test_contig_fragmented(void **state)
{
    const struct mem_region usable[] = { { 2 * MIB, 6 * MIB } };
    const struct mem_region reserved[] = {
        { 3 * MIB, 3 * MIB + FRAME_SIZE },
        { 5 * MIB, 5 * MIB + FRAME_SIZE },
    };

    (void)state;
    frame_init(usable, N(usable), reserved, N(reserved), NULL);
    assert_int_equal(frame_free_count(), 1022);
    /* plenty of frames, but every aligned 2 MiB has a hole */
    assert_int_equal(frame_alloc_contig(512, PAGE_2M), 0);
    assert_int_equal(frame_largest_run(PAGE_2M), 256);
    /* unaligned, the longest run is between the holes */
    assert_int_equal(frame_largest_run(FRAME_SIZE), 511);
    assert_int_equal(frame_alloc_contig(512, FRAME_SIZE), 0);
    assert_int_equal(frame_free_count(), 1022);         /* failures take nothing */

    assert_int_equal(frame_alloc_contig(511, FRAME_SIZE), 3 * MIB + FRAME_SIZE);
    assert_int_equal(frame_alloc_contig(256, PAGE_2M), 2 * MIB);
    assert_int_equal(frame_alloc_contig(256, PAGE_2M), 0);      /* 4 MiB: used */
    assert_int_equal(frame_free_count(), 1022 - 511 - 256);

    /* larger than all memory, or an alignment no frame has */
    assert_int_equal(frame_alloc_contig(FRAME_COUNT + 1, FRAME_SIZE), 0);
    assert_int_equal(frame_alloc_contig(1, 8 * GIB), 0);
}

static void test_contig_bad_args(void **state)
{
    const struct mem_region usable[] = { { 1 * MIB, 16 * MIB } };
    const uint64_t bad_align[] = { 0, 1, 2048, FRAME_SIZE - 1, FRAME_SIZE + 1,
                                   3 * FRAME_SIZE, PAGE_2M + FRAME_SIZE };

    (void)state;
    frame_init(usable, N(usable), NULL, 0, NULL);
    uint64_t free0 = frame_free_count();
    for (unsigned i = 0; i < N(bad_align); i++)
        assert_int_equal(frame_alloc_contig(1, bad_align[i]), 0);
    assert_int_equal(frame_alloc_contig(0, FRAME_SIZE), 0);
    assert_int_equal(frame_alloc_contig(0, PAGE_2M), 0);
    assert_int_equal(frame_free_count(), free0);
    assert_true(frame_alloc_contig(1, FRAME_SIZE) != 0);        /* still works */
}

static void test_largest_run(void **state)
{
    const struct mem_region usable[] = { { 1 * MIB, 2 * MIB }, { 3 * MIB, 7 * MIB } };
    const uint64_t aligns[] = { FRAME_SIZE, 64 * KIB, PAGE_2M, 4 * MIB };

    (void)state;
    frame_init(usable, N(usable), NULL, 0, NULL);
    assert_int_equal(frame_largest_run(FRAME_SIZE), 1024);     /* 3..7 MiB */
    assert_int_equal(frame_largest_run(64 * KIB), 1024);
    assert_int_equal(frame_largest_run(PAGE_2M), 768);         /* 4..7 MiB */
    assert_int_equal(frame_largest_run(4 * MIB), 768);
    assert_int_equal(frame_largest_run(8 * MIB), 0);

    /* what it reports is exactly what frame_alloc_contig can do */
    for (unsigned i = 0; i < N(aligns); i++) {
        uint64_t run = frame_largest_run(aligns[i]);

        assert_int_equal(frame_alloc_contig(run + 1, aligns[i]), 0);
        uint64_t pa = frame_alloc_contig(run, aligns[i]);
        assert_true(pa != 0);
        assert_int_equal(pa % aligns[i], 0);
        frame_free_contig(pa, run);
    }

    /* and it follows allocations */
    uint64_t pa = frame_alloc_contig(1, PAGE_2M);
    assert_int_equal(pa, 4 * MIB);
    assert_int_equal(frame_largest_run(PAGE_2M), 256);         /* 6..7 MiB */
    assert_int_equal(frame_largest_run(FRAME_SIZE), 767);      /* 4 MiB + 4K.. */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_counts),
        cmocka_unit_test(test_init_above_limit),
        cmocka_unit_test(test_init_overlap),
        cmocka_unit_test(test_init_unaligned),
        cmocka_unit_test(test_reserved_wins),
        cmocka_unit_test(test_frame_zero),
        cmocka_unit_test(test_alloc_free),
        cmocka_unit_test(test_contig_alignment),
        cmocka_unit_test(test_contig_fragmented),
        cmocka_unit_test(test_contig_bad_args),
        cmocka_unit_test(test_largest_run),
        cmocka_unit_test(test_free_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
