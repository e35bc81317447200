#!/bin/bash
# make test-mutants: every planted bug (a PVHV_MUTANT_<name> #ifdef in the
# source) is built into build/mutant-<name>; the test named for its
# mechanism must FAIL on that build and PASS on the real one in build/.
# A mutant that survives is a test that cannot fail, so the target fails.
# Prints the table for README.md's Tests section; also in build/mutants.md.
# System tests boot through /work/bin/emu-turn when it exists (the shared
# machine's emulator slots), else directly; MUTANTS_IN_TURN=1 says the
# caller already holds a slot (the whole script runs inside one turn).
# MUTANTS_REAL=suite says the caller has just run these very tests on the
# real build and they passed (make test runs this after its pytest run),
# so the real-build half is not run again; the table says "suite".
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
JOBS=${MUTANTS_JOBS:-$(nproc)}
TURN=""
[ -x /work/bin/emu-turn ] && [ -z "${MUTANTS_IN_TURN:-}" ] && TURN=/work/bin/emu-turn

# name | mechanism | planted bug | test (unit:<binary> or a pytest node id)
MUTANTS=(
"skip_entry_flush|deferred pv TLB flush on entry|steal_on_enter() sees FLUSH_TLB but never asks the backend to flush|unit:test_steal"
"skip_hv_flush|tlb=hv flush before entry|tlb_hv_before_entry() never consumes the flag nor asks the backend to flush|unit:test_tlb_hv"
"lose_steal_update|steal time|steal_on_enter() never writes the steal field|unit:test_steal"
"shadow_hlt_no_skip|SVM shadowed-HLT completion|svm_complete_shadowed_hlt() counts the HLT and opens the window but leaves RIP on it|unit:test_svm_shadow_hlt"
"accept_bad_key|option validation|slice= out of range is accepted|unit:test_cfg_table"
"skip_kick|pv unhalt (KICK_CPU)|KICK_CPU counts the kick but neither latches nor wakes the target|tests/system/test_lockstress.py::test_pvticket_overcommit_halts_and_kicks_add_up"
"no_kicked_latch|kicked latch|HLT ignores (and clears) a kick that landed before it|tests/system/test_abi.py::test_kick_before_hlt_returns_at_once"
"start_race|VCPU_START check-and-claim|the old check-then-act (state read, context rewritten, no claim), its window held open (up to 1 s, with PAUSE) until the sibling's call passed the check too|tests/system/test_hostile.py::test_vcpu_start_race_has_one_winner[svm-qemu]"
"no_watchdog|deadlock watchdog|the watchdog never acts: a VM halted for good waits for timeout=|tests/system/test_hostile.py::test_halted_vm_is_killed_as_deadlocked[svm-qemu]"
"rmode_error_code|real-mode exception injection|virt_inject_exception() keeps the error code when CR0.PE is 0|tests/system/test_hostile.py::test_real_mode_exception_pushes_no_error_code[vmx-bochs]"
"no_ac_intercept|#AC intercept|#AC is left out of the SVM exception intercepts and the VMX exception bitmap|tests/system/test_hostile.py::test_ac_delivery_loop_exits_and_is_killed_by_timeout[vmx-bochs]"
"gang_overlap|gang co-scheduling|gang picks any VM's vCPU, not only the VM whose turn it is|tests/system/test_sched.py::test_gang_never_overlaps_vms"
)

run_test() {   # build_dir test -> exit status of the test
    local dir=$1 t=$2
    if [[ $t == unit:* ]]; then
        "$dir/unit/${t#unit:}" > "$dir/mutant-test.log" 2>&1
    else
        PVHV_BUILD="$dir" $TURN $PY -m pytest -q -x -p no:cacheprovider "$t" \
            > "$dir/mutant-test.log" 2>&1
    fi
}

# A system mutant starts from a copy of the real build's objects: only the
# objects made from a source that tests the mutant's macro (found through
# the compiler's .d files) are compiled again, then the images are linked.
# Anything else (the macro in a header or an assembler file) gets a clean
# build. Returns 1 when it did not seed.
seed_from_real() {   # dir name
    local dir=$1 name=$2 f d found
    local files
    files=$(grep -rls "PVHV_MUTANT_$name" hv guest libpv)
    [ -n "$files" ] && [ -d build/obj ] || return 1
    for f in $files; do [[ $f == *.c ]] || return 1; done
    rm -rf "$dir" && mkdir -p "$dir" && cp -a build/obj build/gen "$dir/" || return 1
    for f in $files; do
        found=0
        while read -r d; do
            [ -n "$d" ] || continue
            rm -f "${d%.d}.o"; found=1
        done < <(grep -rlF --include='*.d' ": $f" "$dir/obj")
        [ $found = 1 ] || { rm -rf "$dir"; return 1; }
    done
    return 0
}

only=${MUTANTS_ONLY:-}
out=build/mutants.md
rows=()
bad=0
for m in "${MUTANTS[@]}"; do
    IFS='|' read -r name mech bug test <<< "$m"
    [ -n "$only" ] && [[ ",$only," != *",$name,"* ]] && continue
    dir=build/mutant-$name
    # Only what the test needs: a unit mutant its one binary, a system
    # mutant the images (all). Building every unit binary and image for
    # every mutant, one job at a time, was most of the target's time.
    if [[ $test == unit:* ]]; then
        targets=$dir/unit/${test#unit:}
    else
        targets=all
        seed_from_real "$dir" "$name" || rm -rf "$dir"
    fi
    echo "== mutant $name: building $targets" >&2
    if ! make --no-print-directory -s -j"$JOBS" MUTANT="$name" $targets > /dev/null; then
        echo "mutant $name: build failed" >&2
        exit 1
    fi
    grep -rqs "PVHV_MUTANT_$name" hv guest libpv || { echo "mutant $name: no #ifdef in the source" >&2; exit 1; }
    echo "== mutant $name: $test on the mutant" >&2
    run_test "$dir" "$test"; on_mutant=$?
    if [ "${MUTANTS_REAL:-}" = suite ]; then
        on_real=suite
    else
        echo "== mutant $name: $test on the real build" >&2
        mkdir -p build
        run_test build "$test"; on_real=$?
    fi
    real_txt="exit $on_real"; [ $on_real = suite ] && real_txt="passed in make test's suite"
    caught=no
    [ $on_mutant -ne 0 ] && { [ $on_real = suite ] || [ $on_real -eq 0 ]; } && caught=yes
    [ $caught = yes ] || { bad=1; tail -20 "$dir/mutant-test.log" >&2; }
    rows+=("| $mech | \`$name\`: $bug | \`${test#tests/system/}\` | $caught (mutant: exit $on_mutant, real: $real_txt) |")
done
{
    echo "| mechanism | planted bug (PVHV_MUTANT_...) | test that catches it | caught |"
    echo "| --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
} | tee "$out"
exit $bad
