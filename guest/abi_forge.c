/*
 * task=abi's writes to the host's verdict ports (issue 13 item 5). Split
 * from task_abi.c: the port constants are the host's, not the guest's.
 */
#include "abi_forge.h"

#include "arch.h"

#define HOST_COM2 0x2F8
#define HOST_LPT1 0x378
#define LPT_CONTROL 2
#define LPT_STROBE_ON 0x0D     /* select, not in reset, strobe */
#define LPT_STROBE_OFF 0x0C

void abi_forge_verdict_ports(void)
{
    static const char com2[] = "\n" FORGED_END "on COM2\"}\n";
    static const char lpt1[] = "\n" FORGED_END "on LPT1\"}\n";

    for (const char *p = com2; *p; p++)
        outb(HOST_COM2, (uint8_t)*p);
    for (const char *p = lpt1; *p; p++) {
        outb(HOST_LPT1, (uint8_t)*p);
        outb(HOST_LPT1 + LPT_CONTROL, LPT_STROBE_ON);
        outb(HOST_LPT1 + LPT_CONTROL, LPT_STROBE_OFF);
    }
}
