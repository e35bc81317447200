/*
 * The pvqspin protocol of libpv/lock_pvqspin.c, for spin. NCPU vCPUs each
 * take the one lock ITERS times, through the fast path, the one steal, or
 * the MCS queue with its pv waits. Every atomic{} block is one locked
 * instruction (or one access) of the C code; other statements are single
 * plain loads or stores, so spin interleaves them as another vCPU (or a
 * preemption) could. The C code's barriers make x86 behave sequentially
 * consistently at the points that matter (P1..P4 in lock_pvqspin.c), which
 * is what spin explores.
 *
 * Spinning is abstracted: a bounded spin may run out at any moment, and a
 * "wait early" because the predecessor is preempted is one of those
 * moments, so both are a nondeterministic choice.
 *
 * Checked: mutual exclusion (assertion in the critical section); the hash
 * entry is there and complete when an unlocker finds the lock marked slow
 * (assertion); one entry per lock (assertion); no lost wake-up and no
 * halted waiter left unkicked: a vCPU halted for good never finishes, which
 * spin reports as an invalid end state.
 *
 * Mutants (see run.sh): -DKICK_BEFORE_RELEASE kicks the queue head before
 * clearing the locked byte; -DNO_RECHECK halts a queued waiter without
 * re-reading node->locked after announcing HALTED. Both must end in an
 * invalid end state (a waiter asleep forever).
 */
#ifndef NCPU
#define NCPU 3
#endif
#ifndef ITERS
#define ITERS 1
#endif

#define LOCKED  1
#define SLOW    3
#define RUNNING 0
#define HALTED  1
#define HASHED  2

byte locked;            /* lock word: locked byte */
bool pending;           /* pending byte */
byte tail;              /* tail code: cpu + 1, 0 = empty queue */

bool nlocked[NCPU];     /* per-CPU queue node */
byte nnext[NCPU];
byte nstate[NCPU];

bool hlock;             /* the hash table's one entry for this lock */
byte hnode;

bool kicked[NCPU];      /* the hypervisor's kicked latch */
byte in_cs;             /* ghost: vCPUs in the critical section */

inline kick(c) {
    kicked[c] = 1
}

/* pv_wait: with interrupts off, halt only if the value still reads val;
   HLT returns at once (clearing the latch) if a kick came since. */
inline pv_wait_state(id, val) {
    if
    :: nstate[id] == val -> atomic { kicked[id] -> kicked[id] = 0 }
    :: else -> skip
    fi
}
inline pv_wait_locked(id, val) {
    if
    :: locked == val -> saw_slow = 1; atomic { kicked[id] -> kicked[id] = 0 }
    :: else -> skip
    fi
}

/* pv_hash: claim the entry (cmpxchg of its lock pointer), then fill in
   the node. */
inline pv_hash(n) {
    atomic { assert(!hlock); hlock = 1 };
    hnode = n + 1
}

proctype vcpu(byte id)
{
    byte old, prev, nxt, w, k = 0;
    bool hashed, saw_slow;

    do
    :: k < ITERS ->
        /* fast path: cmpxchg of the whole word from 0 */
        atomic {
            if
            :: locked == 0 && !pending && tail == 0 -> locked = LOCKED; goto owned
            :: else -> skip
            fi
        };
        /* slow path: init our node (private until published) */
        nlocked[id] = 0; nnext[id] = 0; nstate[id] = RUNNING;
        /* the one steal: read the word, then cmpxchg the locked byte */
        if
        :: locked == 0 && !pending ->
            atomic {
                if
                :: locked == 0 -> locked = LOCKED; goto owned
                :: else -> skip
                fi
            }
        :: else -> skip
        fi;
        atomic { old = tail; tail = id + 1 };     /* xchg_tail */
        if
        :: old != 0 ->
            prev = old - 1;
            nnext[prev] = id + 1;
wait_node:
            /* spin on nlocked until it is set or the spin runs out */
            if
            :: nlocked[id] -> goto head
            :: true -> skip
            fi;
            nstate[id] = HALTED;                  /* store + full barrier */
#ifdef NO_RECHECK
            pv_wait_state(id, HALTED);
#else
            if
            :: !nlocked[id] -> pv_wait_state(id, HALTED)
            :: else -> skip
            fi;
#endif
            atomic {                              /* cmpxchg HALTED->RUNNING */
                if
                :: nstate[id] == HALTED -> nstate[id] = RUNNING
                :: else -> skip
                fi
            };
            if
            :: nlocked[id] -> goto head
            :: else -> goto wait_node             /* spurious: spin again */
            fi
        :: else -> skip
        fi;
head:
        /* wait_head_or_lock */
        hashed = (nstate[id] == HASHED);
head_loop:
        saw_slow = 0;
        nstate[id] = RUNNING;
        pending = 1;
        /* spin: trylock_clear_pending until it works or the spin runs out */
        do
        :: locked == 0 ->
            atomic {
                if
                :: locked == 0 && pending -> locked = LOCKED; pending = 0; goto got
                :: else -> skip
                fi
            }
        :: break
        od;
        pending = 0;
        if
        :: !hashed ->
            pv_hash(id);
            hashed = 1;
            atomic { w = locked; locked = SLOW; saw_slow = 1 };   /* xchg */
            if
            :: w == 0 ->
                /* the lock was free: ours; take the mark back, unhash */
                locked = LOCKED;
                atomic { hlock = 0; hnode = 0 };
                goto got
            :: else -> skip
            fi
        :: else -> skip
        fi;
        nstate[id] = HASHED;
        pv_wait_locked(id, SLOW);
        /* the byte went from slow to not slow: only an unlock does that,
           after taking our entry out */
        if
        :: saw_slow && locked != SLOW -> hashed = 0
        :: else -> skip
        fi;
        goto head_loop;
got:
        /* last in the queue: cmpxchg the tail away */
        atomic {
            if
            :: tail == id + 1 -> tail = 0; goto owned
            :: else -> skip
            fi
        };
        (nnext[id] != 0);                         /* successor links in */
        nxt = nnext[id] - 1;
        nlocked[nxt] = 1;
        /* pv_kick_node: full barrier, cmpxchg HALTED->HASHED */
        atomic {
            if
            :: nstate[nxt] == HALTED -> nstate[nxt] = HASHED; w = 1
            :: else -> w = 0
            fi
        };
        if
        :: w == 1 -> locked = SLOW; pv_hash(nxt)
        :: else -> skip
        fi;
owned:
        atomic { in_cs++; assert(in_cs == 1) };
        in_cs--;
        /* unlock: cmpxchg the locked byte LOCKED -> 0 */
        atomic {
            if
            :: locked == LOCKED -> locked = 0; goto done
            :: else -> skip
            fi
        };
        assert(locked == SLOW);
        /* the entry must be complete: P2 */
        atomic { assert(hlock && hnode != 0); w = hnode - 1; hlock = 0; hnode = 0 };
#ifdef KICK_BEFORE_RELEASE
        kick(w);
        locked = 0;
#else
        locked = 0;                               /* release store */
        kick(w);
#endif
done:
        /* forget dead locals so equal global states match */
        atomic { old = 0; prev = 0; nxt = 0; w = 0; hashed = 0; saw_slow = 0; k++ }
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
