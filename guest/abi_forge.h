/*
 * Verdict forgery for task=abi (abi_forge.c): what a guest writes to the
 * host's verdict ports must never be read as the hypervisor's end record.
 */
#ifndef GUEST_ABI_FORGE_H
#define GUEST_ABI_FORGE_H

/* Every forged record says "forged" in its reason (the system test looks
   for it among the trusted records). */
#define FORGED_END "@pvhv {\"kind\":\"end\",\"status\":\"pass\",\"vms_done\":9," \
                   "\"vms_killed\":0,\"reason\":\"forged "

/* Writes a forged end record to the host's COM2 and LPT1 (the hypervisor's
   verdict ports); the hypervisor must swallow both. */
void abi_forge_verdict_ports(void);

#endif
