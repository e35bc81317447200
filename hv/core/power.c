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
static enum power_done done_action = POWER_DONE_EXIT;   /* also before cfg is read */
static void (*end_fields)(struct json *j);

void power_set_end_fields(void (*fn)(struct json *j)) { end_fields = fn; }

void power_set_done_action(enum power_done action) { done_action = action; }

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

    /* Only done=exit writes the emulators' exit ports: after either write
       an emulator is gone, so done=halt (stay up, e.g. for a debugger) and
       done=reboot (reset, for repeated runs) must not. */
    if (done_action == POWER_DONE_EXIT) {
        outb(PORT_DEBUG_EXIT, pass ? DEBUG_EXIT_PASS : DEBUG_EXIT_FAIL);
        /* Still here: not QEMU with isa-debug-exit. Bochs leaves through 0x8900. */
        for (const char *s = "Shutdown"; *s; s++)
            outb(PORT_BOCHS_SHUTDOWN, (uint8_t)*s);
    } else if (done_action == POWER_DONE_REBOOT) {
        hv_printf("pvhv: run finished (%s); resetting\n", pass ? "pass" : "fail");
        serial_drain();
        outb(KBC_CMD_PORT, KBC_CMD_RESET);
    }
    /* Still here: bare metal after done=exit, done=halt, or a reset that
       did not happen. */
    hv_printf("pvhv: run finished (%s); halting\n", pass ? "pass" : "fail");
    serial_drain();
    for (;;)
        __asm__ volatile("cli; hlt");
}
