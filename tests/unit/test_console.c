/*
 * The hypervisor console's ring (hv/core/console.c) against a fake UART:
 * while the ring is on nothing reaches the UART until an idle pCPU prints
 * a chunk, a writer finds the ring full, or the run ends; whatever path
 * the bytes take they come out once each, in the order they were written;
 * and a panic prints what was queued before its own lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/console.h"

#define RING_MIN 4608            /* console.c's HV_PRINTF_MAX: the least ring it takes */

static char uart[1 << 16];
static size_t uart_len;
static char ring_mem[1 << 15];

/* The UART: serial.c's raw writer, here a buffer. */
void console_write_unlocked(const char *s, size_t len)
{
    assert_true(uart_len + len <= sizeof(uart));
    memcpy(uart + uart_len, s, len);
    uart_len += len;
}

static int setup(void **state)
{
    (void)state;
    uart_len = 0;
    memset(uart, 0, sizeof(uart));
    return 0;
}

/* The ring is module state: every test ends the defer mode it began. */
static int teardown(void **state)
{
    (void)state;
    console_defer_end();
    return 0;
}

static void test_without_ring_printed_at_once(void **state)
{
    (void)state;
    console_write("one\n", 4);
    hv_printf("two %d\n", 2);
    assert_int_equal(uart_len, 10);
    assert_memory_equal(uart, "one\ntwo 2\n", 10);
    assert_false(console_pending());
}

static void test_ring_holds_output_until_idle_chunk_and_end(void **state)
{
    char want[400];
    size_t n = 0;

    (void)state;
    console_defer_begin(ring_mem, sizeof(ring_mem));
    for (int i = 0; i < 20; i++) {
        char line[32];
        int k = snprintf(line, sizeof(line), "line %02d of the run\n", i);
        console_write_irqs_on(line, (size_t)k);
        memcpy(want + n, line, (size_t)k);
        n += (size_t)k;
    }
    assert_int_equal(uart_len, 0);
    assert_true(console_pending());
    assert_int_equal(console_print_some(), 1);
    assert_int_equal(uart_len, CONSOLE_IDLE_CHUNK);
    assert_memory_equal(uart, want, CONSOLE_IDLE_CHUNK);
    console_defer_end();
    assert_int_equal(uart_len, n);
    assert_memory_equal(uart, want, n);
    assert_false(console_pending());
    assert_int_equal(console_print_some(), 0);

    struct console_stats st;
    console_get_stats(&st);
    assert_int_equal(st.ring_bytes, sizeof(ring_mem));
    assert_int_equal(st.queued, n);
    assert_int_equal(st.printed, n);
    assert_int_equal(st.idle_printed, CONSOLE_IDLE_CHUNK);
    assert_int_equal(st.max_queued, n);
    assert_int_equal(st.full_waits, 0);

    /* After the end, at once again. */
    console_write("after\n", 6);
    assert_int_equal(uart_len, n + 6);
}

static void test_full_ring_writer_prints_oldest_first_nothing_lost(void **state)
{
    static char want[3 * 2000];

    (void)state;
    console_defer_begin(ring_mem, RING_MIN);
    for (int i = 0; i < 3; i++) {
        char block[2000];
        memset(block, 'a' + i, sizeof(block));
        block[sizeof(block) - 1] = '\n';
        console_write(block, sizeof(block));
        memcpy(want + i * 2000, block, sizeof(block));
    }
    /* 6000 bytes into 4608: the third write printed the oldest itself. */
    assert_true(uart_len >= 6000 - RING_MIN);
    assert_memory_equal(uart, want, uart_len);
    console_defer_end();
    assert_int_equal(uart_len, sizeof(want));
    assert_memory_equal(uart, want, sizeof(want));

    struct console_stats st;
    console_get_stats(&st);
    assert_true(st.full_waits >= 1);
    assert_int_equal(st.queued, sizeof(want));
    assert_int_equal(st.printed, sizeof(want));
    assert_true(st.max_queued <= RING_MIN);
}

static void test_write_larger_than_ring_comes_after_the_queue(void **state)
{
    static char big[RING_MIN + 100];

    (void)state;
    console_defer_begin(ring_mem, RING_MIN);
    console_write("first\n", 6);
    memset(big, 'x', sizeof(big));
    console_write(big, sizeof(big));
    assert_int_equal(uart_len, 6 + sizeof(big));
    assert_memory_equal(uart, "first\n", 6);
    assert_memory_equal(uart + 6, big, sizeof(big));
}

static void test_too_small_or_no_buffer_keeps_printing_at_once(void **state)
{
    (void)state;
    console_defer_begin(0, sizeof(ring_mem));
    console_write("a\n", 2);
    console_defer_begin(ring_mem, RING_MIN - 1);
    console_write("b\n", 2);
    assert_int_equal(uart_len, 4);
    assert_memory_equal(uart, "a\nb\n", 4);
}

static void test_panic_prints_the_queue_first(void **state)
{
    (void)state;
    console_defer_begin(ring_mem, sizeof(ring_mem));
    console_write("queued\n", 7);
    console_break_lock();
    console_write("panic\n", 6);
    assert_int_equal(uart_len, 13);
    assert_memory_equal(uart, "queued\npanic\n", 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_without_ring_printed_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_holds_output_until_idle_chunk_and_end,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_ring_writer_prints_oldest_first_nothing_lost,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_larger_than_ring_comes_after_the_queue,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_small_or_no_buffer_keeps_printing_at_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_panic_prints_the_queue_first, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
