/*
 * The pvticket protocol of libpv/lock_pvticket.c, for spin. NCPU vCPUs each
 * take the one lock ITERS times (vCPU 0: ITERS0 times, so with ITERS=1 it
 * re-acquires while the others are still queued or halted). Every atomic{} block is one locked
 * instruction of the C code; every other statement is one plain load or
 * store, so spin interleaves them as another vCPU (or a preemption) could.
 *
 * Checked: mutual exclusion and FIFO (assertions at the critical section),
 * and no lost wake-up: a vCPU left halted while its ticket is served can
 * never finish, which spin reports as an invalid end state.
 *
 * Built with -DNO_LATCH (tests/model/pvticket_nolatch.pml) the hypervisor
 * forgets kicks that arrive while the vCPU is not yet halted; spin must then
 * find the lost wake-up.
 */
#ifndef NCPU
#define NCPU 3
#endif
#ifndef ITERS
#define ITERS 2
#endif
#ifndef ITERS0          /* vCPU 0's acquisitions: it can re-acquire while */
#define ITERS0 ITERS    /* the others still wait with ITERS=1 */
#endif
#define INC  2          /* TICKET_LOCK_INC: bit 0 of the tail is the flag */
#define FLAG 1

byte head;              /* lock word, low half */
byte tail;              /* lock word, high half: next ticket | FLAG */

bool slot_valid[NCPU];  /* waiting slot: {lock, want}; one lock here */
byte slot_want[NCPU];

byte in_cs;             /* ghost: vCPUs in the critical section */
byte last_served = 256 - INC; /* ghost: previous owner's ticket */

#ifdef NO_LATCH
bool halted[NCPU];      /* a kick only wakes a vCPU already halted */
bool woken[NCPU];

inline kick(c) {
    atomic { if :: halted[c] -> woken[c] = 1 :: else -> skip fi }
}
inline halt(c) {
    halted[c] = 1;
    atomic { woken[c] -> woken[c] = 0; halted[c] = 0 }
}
#else
bool kicked[NCPU];      /* the hypervisor's per-vCPU kicked latch */

inline kick(c) {
    kicked[c] = 1
}
inline halt(c) {
    /* HLT: returns at once (clearing the latch) if a kick already came */
    atomic { kicked[c] -> kicked[c] = 0 }
}
#endif

proctype vcpu(byte id)
{
    byte me, next, v, c, n = 0;
    bool cleared;

    do
    :: n < (id == 0 -> ITERS0 : ITERS) ->
        /* lock: xadd on the tail keeps the flag bit as it is */
        atomic { me = tail & ~FLAG; tail = tail + INC };
spin_loop:
        /* spin_threshold reads of the head: the threshold may run out at
           any moment (repeated reads only stutter, so one read stands for
           all of them), or the waiter sees its turn */
        if
        :: head == me -> goto owned
        :: goto slow_path
        fi;
slow_path:
        /* irq_save, then publish the slot: want before valid */
        slot_want[id] = me;
        slot_valid[id] = 1;
        atomic { tail = tail | FLAG };      /* lock or */
        if
        :: head == me ->                    /* served meanwhile: no halt */
            slot_valid[id] = 0;
            goto owned
        :: else -> skip
        fi;
        halt(id);
        if
        :: head == me -> slot_valid[id] = 0; goto owned
        :: else -> slot_valid[id] = 0; goto spin_loop   /* spurious */
        fi;
owned:
        atomic {
            in_cs++;
            assert(in_cs == 1);                 /* mutual exclusion */
            assert(me == (last_served + INC) % 256);   /* FIFO hand-over */
            last_served = me
        };
        /* unlock: xadd on the head half (leaving the critical section in
           the same step only drops interleavings of a ghost variable) */
        atomic { in_cs--; head = head + INC; next = head };
        /* then a plain read of the flag */
        v = tail;
        if
        :: (v & FLAG) == 0 -> goto done
        :: else -> skip
        fi;
        cleared = 0;
        if
        :: (v & ~FLAG) == next ->
            /* cmpxchg of the whole word: clear the flag only if nobody
               took a ticket (or moved the head) since we read it */
            atomic {
                if
                :: head == next && tail == v -> tail = v & ~FLAG; cleared = 1
                :: else -> skip
                fi
            }
        :: else -> skip
        fi;
        if
        :: cleared -> goto done
        :: else -> skip
        fi;
        /* kick every vCPU whose slot holds the new head */
        c = 0;
        do
        :: c < NCPU ->
            /* one slot per step. The C code reads lock then want; a
               mixed read (an ended wait's lock, a new wait's want) can
               only cause a spurious kick, never hide the waiter whose
               turn it is, whose slot is stable while it waits */
            atomic {
                if
                :: slot_valid[c] && slot_want[c] == next -> kick(c)
                :: else -> skip
                fi;
                c++
            }
        :: else -> break
        od;
done:
        /* forget dead locals so equal global states match */
        atomic { next = 0; v = 0; c = 0; me = 0; cleared = 0; n++ }
    :: else -> break
    od
}

init {
    byte i;

    atomic {
        i = 0;
        do
        :: i < NCPU -> run vcpu(i); i++
        :: else -> break
        od
    }
}
