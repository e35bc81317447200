#!/bin/sh
# Model-checks the pv protocols with spin. pvtlb (the pv remote TLB flush,
# guest/tlbflush.c with hv/pv/steal.c) must verify clean - no assertion
# failure, i.e. no lost flush - and each of its mutants must fail that
# assertion. The lock protocols: pvticket and pvqspin must
# verify clean (no assertion failure, no invalid end state = no lost
# wake-up), and each mutant must produce a counterexample of the expected
# kind - an invalid end state (a waiter asleep for good), not an assertion -
# which shows the check can see lost wake-ups at all. Exits 0 only if all
# hold.
#
# Configurations (vCPUs x acquisitions each): pvticket 3x1, 2x3 and 3
# vCPUs of which vCPU 0 acquires twice (3x2,1,1: a vCPU re-acquires while two
# others are queued or halted; ~1M states, ~2 s, ~210 MB), pvqspin 3x1, 2x2
# and 2x3 by default, a few seconds in all. MODEL_FULL=1
# adds 3x2 for both (pvticket ~26M states, ~35 s; pvqspin ~31M states,
# ~40 s; ~2.3 GB each).
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here"/*.pml "$work"/
cd "$work" || exit 1

configs="-DNCPU=3,-DITERS=1 -DNCPU=2,-DITERS=3 -DNCPU=3,-DITERS=1,-DITERS0=2"
qconfigs="-DNCPU=3,-DITERS=1 -DNCPU=2,-DITERS=2 -DNCPU=2,-DITERS=3"
# pvtlb: targets x shootdowns (PREEMPTS=2 preemptions unless given): 1x3,
# 2x2 and 2x3 (3.8M states, ~5 s, ~440 MB); MODEL_FULL=1 adds 2x3 with 3
# preemptions (21M states, ~40 s, 1.8 GB) and 3x2 (31M states, ~100 s, 3 GB).
tconfigs="-DNT=1,-DITERS=3 -DNT=2,-DITERS=2 -DNT=2,-DITERS=3"
[ "${MODEL_FULL:-0}" = 1 ] && tconfigs="$tconfigs -DNT=2,-DITERS=3,-DPREEMPTS=3 -DNT=3,-DITERS=2"
[ "${MODEL_FULL:-0}" = 1 ] && configs="$configs -DNCPU=3,-DITERS=2"
[ "${MODEL_FULL:-0}" = 1 ] && qconfigs="$qconfigs -DNCPU=3,-DITERS=2"

# Prints the number of errors pan reports for model $1 with defines $2
# (comma-separated), or "none" if spin, gcc or pan did not get that far.
errors_of() {
    defs=$(echo "$2" | tr ',' ' ')
    # shellcheck disable=SC2086
    spin -a $defs "$1" >spin.log 2>&1 || { echo none; return; }
    gcc -O2 -DSAFETY -o pan pan.c >gcc.log 2>&1 || { echo none; return; }
    ./pan -m200000 >pan.log 2>&1
    n=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' pan.log | head -n 1)
    echo "${n:-none}"
}

passed=0
failed=0

ok=1
detail=""
for c in $tconfigs; do
    e=$(errors_of pvtlb.pml "$c")
    detail="$detail $(echo "$c" | tr -d 'D-' | tr ',' ' '):errors=$e"
    [ "$e" = 0 ] || { ok=0; grep -E 'violated|invalid end' pan.log; }
done
if [ $ok = 1 ]; then
    echo "PASS pvtlb.pml verifies clean ($detail )"
    passed=$((passed + 1))
else
    echo "FAIL pvtlb.pml should verify clean ($detail )"
    failed=$((failed + 1))
fi

# Each pvtlb mutant must fail the no-lost-flush assertion (a target left on
# a translation its shootdown removed), not through anything else.
for m in pvtlb_sharedmask pvtlb_nocas; do
    c="-DNT=2,-DITERS=2"
    e=$(errors_of $m.pml "$c")
    why=$(grep -E 'violated|invalid end state \(' pan.log | head -n 1)
    if [ "$e" != none ] && [ "$e" -gt 0 ] && echo "$why" | grep -q 'assertion violated ((tlb\['; then
        echo "PASS $m.pml fails as expected (errors=$e: $why)"
        passed=$((passed + 1))
    else
        echo "FAIL $m.pml should lose a flush (the tlb assertion); got errors=$e: ${why:-nothing}"
        failed=$((failed + 1))
    fi
done

ok=1
detail=""
for c in $configs; do
    e=$(errors_of pvticket.pml "$c")
    detail="$detail $(echo "$c" | tr -d 'D-' | tr ',' ' '):errors=$e"
    [ "$e" = 0 ] || { ok=0; grep -E 'violated|invalid end' pan.log; }
done
if [ $ok = 1 ]; then
    echo "PASS pvticket.pml verifies clean ($detail )"
    passed=$((passed + 1))
else
    echo "FAIL pvticket.pml should verify clean ($detail )"
    failed=$((failed + 1))
fi

# The mutant must fail the way a lost wake-up fails (a vCPU halted for good
# is an invalid end state), not through an assertion of the model.
c="-DNCPU=3,-DITERS=1"
e=$(errors_of pvticket_nolatch.pml "$c")
why=$(grep -E 'violated|invalid end state \(' pan.log | head -n 1)
if [ "$e" != none ] && [ "$e" -gt 0 ] && echo "$why" | grep -q 'invalid end state'; then
    echo "PASS pvticket_nolatch.pml fails as expected (errors=$e: $why)"
    passed=$((passed + 1))
else
    echo "FAIL pvticket_nolatch.pml should end with a waiter asleep forever (invalid end state); got errors=$e: ${why:-nothing}"
    failed=$((failed + 1))
fi

# pvqspin: clean in every configuration.
ok=1
detail=""
for c in $qconfigs; do
    e=$(errors_of pvqspin.pml "$c")
    detail="$detail $(echo "$c" | tr -d 'D-' | tr ',' ' '):errors=$e"
    [ "$e" = 0 ] || { ok=0; grep -E 'violated|invalid end' pan.log; }
done
if [ $ok = 1 ]; then
    echo "PASS pvqspin.pml verifies clean ($detail )"
    passed=$((passed + 1))
else
    echo "FAIL pvqspin.pml should verify clean ($detail )"
    failed=$((failed + 1))
fi

# Where a counterexample of model $1 (defines $2) leaves a vCPU for good:
# "file:line" of each vcpu process not at its end, from spin's replay.
stuck_at() {
    defs=$(echo "$2" | tr ',' ' ')
    # shellcheck disable=SC2086
    spin -t $defs "$1" 2>/dev/null |
        sed -n 's/^ *[0-9]*:[[:space:]]*proc *[0-9]* (vcpu:[0-9]*) \([^ ]*\) (state [0-9]*)$/\1/p'
}

# pvqspin mutants: each must fail, and with a lost wake-up: an invalid end
# state whose trail leaves a vCPU in a halt (the HLT of pv_wait), not some
# other error that would say nothing about kicks. The halts are the two
# latch-consuming lines of pvqspin.pml.
halts=$(grep -n 'kicked\[id\] -> kicked\[id\] = 0' pvqspin.pml | cut -d: -f1 |
        sed 's/^/pvqspin.pml:/' | tr '\n' ' ')
for m in pvqspin_kick_early pvqspin_norecheck; do
    c="-DNCPU=2,-DITERS=2"
    e=$(errors_of $m.pml "$c")
    why=$(grep -E 'violated|invalid end state \(' pan.log | head -n 1)
    at=$(stuck_at $m.pml "$c" | tr '\n' ' ')
    in_halt=0
    for a in $at; do
        case " $halts " in *" $a "*) in_halt=1 ;; esac
    done
    if [ "$e" != none ] && [ "$e" -gt 0 ] &&
       echo "$why" | grep -q 'invalid end state' && [ $in_halt = 1 ]; then
        echo "PASS $m.pml fails as expected (errors=$e: $why; a vCPU halted for good at $at)"
        passed=$((passed + 1))
    else
        echo "FAIL $m.pml should end with a waiter asleep forever (invalid end state, a vCPU in a halt: $halts); got errors=$e: ${why:-nothing}; stuck at: ${at:-nothing}"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ $failed = 0 ]
