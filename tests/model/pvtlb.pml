/*
 * The pv remote TLB flush of guest/tlbflush.c (tlb=pv, issue 17 item 2),
 * for spin: one sender vCPU remaps pages and shoots them down, NT target
 * vCPUs take the flush IPI, and the hypervisor preempts and resumes the
 * targets, swapping their steal-time byte to 0 on entry and flushing the
 * whole guest TLB if FLUSH_TLB was set (hv/pv/steal.c). Every atomic{} is
 * one locked instruction or one plain load/store of the C code; a target's
 * steps are guarded by running[t], so the hypervisor can preempt it between
 * any two of them (inside its IPI handler too), PREEMPTS times in all.
 *
 * The sender, per shootdown: targets whose byte says PREEMPTED get
 * FLUSH_TLB by compare-and-swap and no IPI; the request slot is written
 * seqlock-style ({seq, page, mask}); the others are IPI'd; while waiting it
 * takes a target as done when the target acknowledged this seq, or when the
 * target's byte says PREEMPTED and the same compare-and-swap hands it over.
 * A handler serves the slot only within one unchanged even seq and
 * acknowledges with that seq.
 *
 * Checked: no flush is lost. tlb[t*NPAGE+p] is the version of page p's
 * translation target t caches. A flush refills it at once with the current
 * PTE: the earliest refill reads the oldest version, so it is the worst case
 * of a CPU that may walk the page tables at any moment it runs. When the
 * sender's shootdown of page p returns, every target must hold the new
 * version, or be preempted with FLUSH_TLB set (the hypervisor flushes it
 * before it runs again); anything else is a target that runs, or will run,
 * on a translation the shootdown was to remove (assertion at finished).
 *
 * Mutants (tests/model/run.sh: each must fail with this assertion):
 *   SHARED_MASK (pvtlb_sharedmask.pml) - the pre-issue-17 slot, one shared
 *     pending mask cleared by each handler: once a preempted target has been
 *     handed over, its late handler clears its bit of the *next* request,
 *     having flushed the old range;
 *   NO_CAS (pvtlb_nocas.pml) - the hand-over writes FLUSH_TLB with a plain
 *     store after reading PREEMPTED: the hypervisor's swap on entry can come
 *     in between, and the target runs without the flush.
 */
#ifndef NT
#define NT 2            /* target vCPUs (the sender is not one) */
#endif
#ifndef ITERS
#define ITERS 3         /* shootdowns */
#endif
#ifndef PREEMPTS
#define PREEMPTS 2      /* preemptions in all (resumes are unbounded) */
#endif
#define NPAGE 2         /* shootdown i remaps page i % NPAGE */
#define PRE   1         /* PV_VCPU_PREEMPTED */
#define FL    2         /* PV_VCPU_FLUSH_TLB */

byte pte[NPAGE];        /* the page's current version (1 at start) */
byte tlb[NT * NPAGE];   /* what each target caches */
byte st[NT];            /* steal-time preempted byte */
bool running[NT];
bool ipi[NT];           /* a flush IPI pending at the target */

#ifdef SHARED_MASK
byte pending;           /* bit t: target t has not flushed yet */
byte rpage;
#else
byte seq;               /* odd while the sender writes the slot */
byte rpage;
byte rmask;
byte ack[NT];           /* seq of the last request target t served */
#endif

/* One compare-and-swap of FLUSH_TLB into target t's byte if it still says
   PREEMPTED (b: the value the sender read); ok = it took. */
#ifdef NO_CAS
inline hand_over(t, b, ok) {
    ok = 0;
    b = st[t];
    if
    :: b & PRE -> st[t] = b | FL; ok = 1    /* a separate store: no CAS */
    :: else -> skip
    fi
}
#else
inline hand_over(t, b, ok) {
    ok = 0;
    b = st[t];
    if
    :: b & PRE ->
        atomic {
            if
            :: st[t] == b -> st[t] = b | FL; ok = 1
            :: else -> skip
            fi
        }
    :: else -> skip
    fi
}
#endif

proctype sender()
{
    byte i = 0, p, t, b, mask, left;
    bool ok;

    do
    :: i < ITERS ->
        p = i % NPAGE;
        pte[p]++;                               /* the remap */
        /* targets preempted now: FLUSH_TLB, no IPI */
        mask = 0;
        t = 0;
        do
        :: t < NT ->
            hand_over(t, b, ok);
            if
            :: !ok -> mask = mask | (1 << t)
            :: else -> skip
            fi;
            t++
        :: else -> break
        od;
        if
        :: mask == 0 -> goto finished
        :: else -> skip
        fi;
#ifdef SHARED_MASK
        rpage = p;
        pending = mask;
#else
        seq++;                                  /* odd: being rewritten */
        rpage = p;
        rmask = mask;
        seq++;                                  /* published */
#endif
        t = 0;
        do
        :: t < NT ->
            if
            :: mask & (1 << t) -> ipi[t] = 1
            :: else -> skip
            fi;
            t++
        :: else -> break
        od;
        /* wait: any pending target, in any order */
        left = mask;
        do
        :: left == 0 -> break
        :: else ->
            if
            :: (left & 1) -> t = 0
            :: (left & 2) -> t = 1
            :: (left & 4) -> t = 2
            fi;
#ifdef SHARED_MASK
            if
            :: (pending & (1 << t)) == 0 -> left = left & ~(1 << t)
            :: else ->
                b = st[t];
                if
                :: b & PRE ->
                    atomic {
                        if
                        :: st[t] == b -> st[t] = b | FL;
                                         pending = pending & ~(1 << t);
                                         left = left & ~(1 << t)
                        :: else -> skip
                        fi
                    }
                :: else -> skip
                fi
            fi
#else
            if
            :: ack[t] == seq -> left = left & ~(1 << t)
            :: else ->
                hand_over(t, b, ok);
                if
                :: ok -> left = left & ~(1 << t)
                :: else -> skip
                fi
            fi
#endif
        od;
finished:
        atomic {
            t = 0;
            do
            :: t < NT ->
                assert(tlb[t * NPAGE + p] == pte[p] ||
                       (!running[t] && (st[t] & FL)));
                t++
            :: else -> break
            od
        };
        atomic { i++; t = 0; b = 0; mask = 0; left = 0; ok = 0 }
    :: else -> break
    od
}

/* The target's IPI handler. */
proctype target(byte t)
{
    byte g, m, a, pg, g2;

end_idle:
    do
    :: atomic { running[t] && ipi[t] -> ipi[t] = 0 };
#ifdef SHARED_MASK
        atomic { running[t] -> m = pending };
        if
        :: m & (1 << t) ->
            atomic { running[t] -> pg = rpage };
            atomic { running[t] -> tlb[t * NPAGE + pg] = pte[pg] }; /* flush, refill */
            atomic { running[t] -> pending = pending & ~(1 << t) }
        :: else -> skip
        fi;
#else
retry:
        atomic { running[t] -> g = seq };
        if
        :: g & 1 -> goto served                 /* its IPI comes after */
        :: else -> skip
        fi;
        atomic { running[t] -> m = rmask };
        atomic { running[t] -> a = ack[t] };
        if
        :: (m & (1 << t)) == 0 || a == g -> goto served
        :: else -> skip
        fi;
        atomic { running[t] -> pg = rpage };
        atomic { running[t] -> g2 = seq };
        if
        :: g2 != g -> goto retry
        :: else -> skip
        fi;
        atomic { running[t] -> tlb[t * NPAGE + pg] = pte[pg] }; /* flush, refill */
        atomic { running[t] -> ack[t] = g };
served:
#endif
        atomic { g = 0; m = 0; a = 0; pg = 0; g2 = 0 }
    od
}

/* Preempts a running target (PREEMPTED on its byte) or resumes one: swaps
   the byte to 0 and, if FLUSH_TLB was set, drops the target's whole TLB
   before it runs (steal_on_enter). */
inline preempt(t) {
    running[t] = 0; st[t] = PRE; budget--
}
inline resume(t) {
    old = st[t];
    st[t] = 0;
    if
    :: old & FL ->
        p = 0;
        do
        :: p < NPAGE -> tlb[t * NPAGE + p] = pte[p]; p++
        :: else -> break
        od
    :: else -> skip
    fi;
    running[t] = 1;
    old = 0; p = 0
}

proctype hypervisor()
{
    byte old, p, budget = PREEMPTS;

end_hv:
    do
    :: atomic { budget > 0 && running[0] -> preempt(0) }
    :: atomic { !running[0] -> resume(0) }
    :: atomic { NT > 1 && budget > 0 && running[1] -> preempt(1) }
    :: atomic { NT > 1 && !running[1] -> resume(1) }
    :: atomic { NT > 2 && budget > 0 && running[2] -> preempt(2) }
    :: atomic { NT > 2 && !running[2] -> resume(2) }
    od
}

init {
    byte t, p;

    atomic {
        p = 0;
        do
        :: p < NPAGE -> pte[p] = 1; p++
        :: else -> break
        od;
        t = 0;
        do
        :: t < NT ->
            running[t] = 1;
            p = 0;
            do
            :: p < NPAGE -> tlb[t * NPAGE + p] = 1; p++
            :: else -> break
            od;
            run target(t);
            t++
        :: else -> break
        od;
        run hypervisor();
        run sender()
    }
}
