/*
 * The last thing every run does. The end record is printed exactly once,
 * even if two CPUs race to finish (a panic during the report, say).
 */
#include "power.h"

#include "console.h"
#include "json.h"
#include "x86.h"
#include "pvstring.h"

#define KBC_CMD_PORT   0x64
#define KBC_CMD_RESET  0xFE

static volatile int finished;
static int reboot_when_done;
static void (*end_fields)(struct json *j);

void power_set_end_fields(void (*fn)(struct json *j)) { end_fields = fn; }

void power_set_done_action(int reboot) { reboot_when_done = reboot; }

void power_finish(int pass, const char *reason)
{
    irq_disable();
    if (__atomic_exchange_n(&finished, 1, __ATOMIC_ACQ_REL))
        for (;;)
            __asm__ volatile("cli; hlt");

    struct json j;
    json_begin(&j, "end");
    json_str(&j, "status", pass ? "pass" : "fail");
    if (end_fields)
        end_fields(&j);
    json_str(&j, "reason", reason);
    json_emit(&j);
    serial_drain();
    /* The same record again on COM2, the channel guests cannot write. */
    serial_verdict(JSON_PREFIX, sizeof(JSON_PREFIX) - 1);
    serial_verdict(j.buf, strlen(j.buf));
    serial_verdict("\n", 1);

    outb(PORT_DEBUG_EXIT, pass ? DEBUG_EXIT_PASS : DEBUG_EXIT_FAIL);
    /* Still here: not QEMU with isa-debug-exit. Bochs leaves through 0x8900. */
    for (const char *s = "Shutdown"; *s; s++)
        outb(PORT_BOCHS_SHUTDOWN, (uint8_t)*s);
    if (reboot_when_done)
        outb(KBC_CMD_PORT, KBC_CMD_RESET);
    hv_printf("pvhv: run finished (%s); halting\n", pass ? "pass" : "fail");
    for (;;)
        __asm__ volatile("cli; hlt");
}
