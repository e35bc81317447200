#!/bin/sh
# Model-checks the pvticket protocol with spin: the real protocol must verify
# clean (no assertion failure, no invalid end state = no lost wake-up), and
# the mutant without the kicked latch must produce a counterexample, which
# shows the check can see lost wake-ups at all. Exits 0 only if both hold.
#
# Configurations (vCPUs x acquisitions each): 3x1 and 2x3 by default, a few
# seconds in all. MODEL_FULL=1 adds 3x2 (~26M states, ~35 s, ~2 GB).
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here"/*.pml "$work"/
cd "$work" || exit 1

configs="-DNCPU=3,-DITERS=1 -DNCPU=2,-DITERS=3"
[ "${MODEL_FULL:-0}" = 1 ] && configs="$configs -DNCPU=3,-DITERS=2"

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

c="-DNCPU=3,-DITERS=1"
e=$(errors_of pvticket_nolatch.pml "$c")
if [ "$e" != none ] && [ "$e" -gt 0 ]; then
    why=$(grep -E 'violated|invalid end' pan.log | head -n 1)
    echo "PASS pvticket_nolatch.pml fails as expected (errors=$e: $why)"
    passed=$((passed + 1))
else
    echo "FAIL pvticket_nolatch.pml should find a lost wake-up (errors=$e)"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
