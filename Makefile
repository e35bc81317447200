# pvhv: build the hypervisor (build/hv.elf), the guest kernel
# (build/guest.elf) and the GRUB ISO; run one configuration under QEMU;
# run the whole test suite. `make run` and `make test` install missing
# Debian packages first (tools/deps.sh).

CC      := gcc
NASM    := nasm
LD      := ld
PY      := /usr/bin/python3
BUILD   := build

SMP     ?= 2
ARGS    ?=
EMU     ?= qemu
CPU     ?=
NATIVE  ?=
TCG     ?=
TIMEOUT ?= 900

FREESTANDING := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -mno-red-zone -mgeneral-regs-only \
	-fno-omit-frame-pointer -mcmodel=small --param=min-pagesize=0 -Wall -Wextra -Werror -Ilibpv -MMD -MP
HOSTED := -std=gnu11 -O1 -g -DPV_HOSTED -Wall -Wextra -Werror -Ilibpv -Itests/unit -Ihv
# Planted bugs for `make test-mutants` (tests/mutants.sh): MUTANT=<name>
# defines PVHV_MUTANT_<name> and builds into its own directory, so a mutant
# image can never be mistaken for the real one.
MUTANT  ?=
ifneq ($(MUTANT),)
BUILD   := build/mutant-$(MUTANT)
FREESTANDING += -DPVHV_MUTANT_$(MUTANT)
HOSTED  += -DPVHV_MUTANT_$(MUTANT)
endif
LDFLAGS := -n -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

LIBPV_C   := $(wildcard libpv/*.c)
HV_C      := $(shell find hv -name '*.c' | sort)
# boot/bochs/ holds flat images for Bochs (not linked into hv.elf).
HV_ASM    := $(shell find boot hv -name '*.asm' -not -path 'boot/bochs/*' | sort)
GUEST_C   := $(shell find guest -name '*.c' | sort)
# The native guest starts its CPUs through the hypervisor's AP trampoline.
GUEST_ASM := $(shell find guest -name '*.asm' | sort) boot/ap_trampoline.asm

LIBPV_OBJ := $(LIBPV_C:%.c=$(BUILD)/obj/%.o)
HV_OBJ    := $(HV_C:%.c=$(BUILD)/obj/%.o) $(HV_ASM:%.asm=$(BUILD)/obj/%.asm.o)
GUEST_OBJ := $(GUEST_C:%.c=$(BUILD)/obj/%.o) $(GUEST_ASM:%.asm=$(BUILD)/obj/%.asm.o)

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
UNIT_HELPERS := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
# Hypervisor sources a unit test links besides libpv.
UNIT_EXTRA_test_cfg   := hv/cfg.c hv/cfg_values.c
UNIT_EXTRA_test_frame := hv/mm/frame.c
UNIT_EXTRA_test_steal := hv/pv/steal.c
UNIT_EXTRA_test_tlb_hv := hv/pv/tlb_hv.c
UNIT_EXTRA_test_cfg_table := hv/cfg.c hv/cfg_values.c
UNIT_EXTRA_test_cfg_readme := hv/cfg.c hv/cfg_values.c
# The scheduler tests run the policies on the simulated machine in
# tests/unit/sched_sim/ (a subfolder, so the other tests do not link it).
UNIT_SCHED_SIM := $(wildcard tests/unit/sched_sim/*.c)
UNIT_EXTRA_test_sched := $(filter-out hv/sched/port.c,$(wildcard hv/sched/*.c)) $(UNIT_SCHED_SIM)
UNIT_EXTRA_test_sched_cfs := $(UNIT_EXTRA_test_sched)
UNIT_EXTRA_test_sched_buddies := $(UNIT_EXTRA_test_sched)
UNIT_EXTRA_test_sched_convoy := $(UNIT_EXTRA_test_sched)
UNIT_EXTRA_test_sched_smp := $(filter-out hv/sched/port.c,$(wildcard hv/sched/*.c))
UNIT_EXTRA_test_watchdog := $(filter-out hv/sched/port.c,$(wildcard hv/sched/*.c))
UNIT_EXTRA_test_cfg_vm := hv/cfg.c hv/cfg_values.c
UNIT_EXTRA_test_ple := hv/virt/ple.c
UNIT_EXTRA_test_svm_shadow_hlt := hv/svm/vmcb.c hv/virt/gva.c

.PHONY: all iso run test unit-test unit-bins model-test system-test tool-test test-mutants test-mttcg fuzz deps clean lock-volume

all: $(BUILD)/hv.elf $(BUILD)/guest.elf $(BUILD)/guest-hostile.elf $(BUILD)/bochs-optrom.bin

# pvhv's own Bochs loader (boot/bochs/optrom.asm); the BIOS only runs an
# option ROM whose bytes sum to 0 mod 256, so the last byte makes it so.
$(BUILD)/bochs-optrom.bin: boot/bochs/optrom.asm $(BUILD)/gen/optrom_layout.inc
	@mkdir -p $(@D)
	$(NASM) -f bin -I$(BUILD)/gen/ $< -o $@
	$(PY) -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] = -sum(b[:-1]) & 255; open(sys.argv[1], "wb").write(b)' $@

deps:
	@sh tools/deps.sh

$(BUILD)/obj/hv/%.o: hv/%.c
	@mkdir -p $(@D)
	$(CC) $(FREESTANDING) -c $< -o $@

$(BUILD)/obj/libpv/%.o: libpv/%.c
	@mkdir -p $(@D)
	$(CC) $(FREESTANDING) -c $< -o $@

$(BUILD)/obj/guest/%.o: guest/%.c
	@mkdir -p $(@D)
	$(CC) $(FREESTANDING) -Iguest -c $< -o $@

# Assembler and linker constants generated from the C headers
# (tools/gen/asm_consts.py): never typed twice.
GEN := $(BUILD)/gen
GEN_ASM := $(GEN)/layout.inc $(GEN)/vmx_arch.inc $(GEN)/asm_offsets.inc

$(GEN)/layout.inc: hv/core/layout.h tools/gen/asm_consts.py
	@mkdir -p $(@D)
	$(PY) tools/gen/asm_consts.py nasm $< > $@.tmp && mv $@.tmp $@

$(GEN)/layout.ld: hv/core/layout.h tools/gen/asm_consts.py
	@mkdir -p $(@D)
	$(PY) tools/gen/asm_consts.py ld $< HV_LOAD_ADDR > $@.tmp && mv $@.tmp $@

$(GEN)/optrom_layout.inc: boot/bochs/optrom_layout.h tools/gen/asm_consts.py
	@mkdir -p $(@D)
	$(PY) tools/gen/asm_consts.py nasm $< > $@.tmp && mv $@.tmp $@

$(GEN)/vmx_arch.inc: hv/vmx/vmx_arch.h tools/gen/asm_consts.py
	@mkdir -p $(@D)
	$(PY) tools/gen/asm_consts.py nasm $< VMCS_ > $@.tmp && mv $@.tmp $@

$(GEN)/asm_offsets.s: tools/gen/asm_offsets.c hv/virt/vcpu.h
	@mkdir -p $(@D)
	$(CC) $(FREESTANDING) -MF $(GEN)/asm_offsets.d -S $< -o $@

$(GEN)/asm_offsets.inc: $(GEN)/asm_offsets.s tools/gen/asm_consts.py
	$(PY) tools/gen/asm_consts.py offsets $< > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/boot/%.asm.o: boot/%.asm $(GEN_ASM)
	@mkdir -p $(@D)
	$(NASM) -f elf64 -g -Iboot/ -I$(GEN)/ $< -o $@

$(BUILD)/obj/hv/%.asm.o: hv/%.asm hv/virt/vcpu_regs.inc $(wildcard libpv/*.inc) $(GEN_ASM)
	@mkdir -p $(@D)
	$(NASM) -f elf64 -g -Iboot/ -Ihv/virt/ -Ilibpv/ -I$(GEN)/ $< -o $@

$(BUILD)/obj/guest/%.asm.o: guest/%.asm $(wildcard guest/*.inc libpv/*.inc)
	@mkdir -p $(@D)
	$(NASM) -f elf64 -g -Iguest/ -Ilibpv/ $< -o $@

$(BUILD)/hv.elf: $(HV_OBJ) $(LIBPV_OBJ) linker/hv.ld $(GEN)/layout.ld
	$(LD) $(LDFLAGS) -L $(GEN) -T linker/hv.ld -o $@ $(HV_OBJ) $(LIBPV_OBJ)

$(BUILD)/guest.elf: $(GUEST_OBJ) $(LIBPV_OBJ) linker/guest.ld
	$(LD) $(LDFLAGS) -T linker/guest.ld -o $@ $(GUEST_OBJ) $(LIBPV_OBJ)

# A second guest kernel for issue 13 item 3 (module i is VM i's guest): the
# same sources with tasks.c built -DGUEST_HOSTILE, which only fuzzes.
$(BUILD)/obj/guest-hostile/tasks.o: guest/tasks.c
	@mkdir -p $(@D)
	$(CC) $(FREESTANDING) -Iguest -DGUEST_HOSTILE -c $< -o $@

$(BUILD)/guest-hostile.elf: $(filter-out $(BUILD)/obj/guest/tasks.o,$(GUEST_OBJ)) \
		$(BUILD)/obj/guest-hostile/tasks.o $(LIBPV_OBJ) linker/guest.ld
	$(LD) $(LDFLAGS) -T linker/guest.ld -o $@ $(filter %.o,$^)

iso: $(BUILD)/pvhv.iso

$(BUILD)/pvhv.iso: $(BUILD)/hv.elf $(BUILD)/guest.elf boot/grub.cfg
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	cp $(BUILD)/hv.elf $(BUILD)/guest.elf $(BUILD)/iso/boot/
	cp boot/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso 2> $(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

# `make run` with no ARGS: lockstress at 3x over-commit (3 VMs x 2 vCPUs on
# 2 pCPUs), so that lock holders get preempted and the pv slow path (halt,
# kick) shows in every VM even under QEMU TCG (README "The two commands").
RUN_DEFAULT_ARGS := vms=3 vcpus=2

run: deps all
	$(PY) tools/pvhv_run.py --emu $(EMU) --smp $(SMP) --timeout $(TIMEOUT) --summary \
		--log $(BUILD)/run.log \
		$(if $(ARGS),--args '$(ARGS)',$(if $(NATIVE),,--args '$(RUN_DEFAULT_ARGS)')) \
		$(if $(CPU),--cpu '$(CPU)') $(if $(NATIVE),--native) \
		$(if $(GUESTS),--guest '$(GUESTS)') $(if $(TCG),--tcg $(TCG))

# Prerequisites: the test, what every test links, its own UNIT_EXTRA_
# sources (second expansion: $* is the test's name) and every header they
# may include, so a changed hv source rebuilds exactly the tests using it.
.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $(LIBPV_C) $(UNIT_HELPERS) $$(UNIT_EXTRA_$$*) \
		$(wildcard libpv/*.h tests/unit/*.h tests/unit/*/*.h hv/*.h hv/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(HOSTED) $< $(UNIT_HELPERS) $(LIBPV_C) $(UNIT_EXTRA_$*) -lcmocka -lpthread -o $@

unit-bins: $(UNIT_BIN)

unit-test: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

model-test:
	bash tests/model/run.sh

# Every lock kind under pthreads, 5M acquisitions per thread, each checked
# for mutual exclusion (about 10^8 in all; minutes, so not in make test).
VOLUME_ITERS ?= 5000000
lock-volume: $(BUILD)/unit/test_lock_volume
	VOLUME_ITERS=$(VOLUME_ITERS) $(BUILD)/unit/test_lock_volume

tool-test:
	$(PY) -m pytest -q tests/tools

system-test: all iso
	$(PY) -m pytest -q tests/system

# Last, the planted bugs (tests/mutants.sh): each mutant's test must fail
# on it; that the same tests pass on the real build the pytest run above
# has just shown (MUTANTS_REAL=suite), so they are not run twice.
test: deps all iso
	@$(MAKE) --no-print-directory unit-test
	@$(MAKE) --no-print-directory model-test
	$(PY) -m pytest -q -p no:cacheprovider tests/tools tests/system
	@MUTANTS_REAL=suite $(MAKE) --no-print-directory test-mutants

# The QEMU system tests with multi-threaded TCG (one host thread per pCPU),
# as `make run` boots. make test runs QEMU single-threaded because QEMU 7.2's
# multi-threaded TCG has a rare triple-fault race of its own (README, Tests,
# Known defects); this target keeps true parallelism exercised, and can fail
# by that race (about 1 exit-heavy boot in 100-350 on a loaded host).
test-mttcg: all iso
	PVHV_TCG=multi $(PY) -m pytest -q -p no:cacheprovider tests/system -m "not bochs"

# Each planted bug built into build/mutant-<name>; the test named for its
# mechanism must fail on it and pass on the real build (README, Tests).
# Issue 13: task=fuzz next to lockstress+tlbstress, FUZZ_ARGS (default 20
# seeds x 100,000 ops on QEMU-SVM and Bochs-VMX, ~1.5 h); not part of make
# test. FUZZ_WRAP=/work/bin/emu-turn puts each boot behind that command.
# The table goes to build/fuzz/table.md.
fuzz: deps all iso
	$(PY) tools/pvhv_fuzz.py $(FUZZ_ARGS) $(if $(FUZZ_WRAP),--wrap '$(FUZZ_WRAP)')

test-mutants: all iso unit-bins
	bash tests/mutants.sh

# Every Bochs CPU model with VMX or SVM, one boot each (~15-30 s per model;
# issue 14): a table of model, backend, features in use, result, wall time.
MODELS_ARGS ?=
.PHONY: test-models
test-models: deps all
	$(PY) tools/test_models.py --markdown $(BUILD)/models.md $(MODELS_ARGS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Benchmarks (DESIGN.md §11; tools/bench.py, matrices in tools/bench/).
# bench, bench-quick, bench-large run under Bochs (the measuring platform);
# bench-tcg, bench-tcg-quick are QEMU TCG sweeps (functional, not faithful).
# BENCH_ARGS adds options, e.g. BENCH_ARGS='--jobs 1 --out results/mine'.
BENCH_ARGS ?=
.PHONY: bench bench-quick bench-large bench-scale bench-sched bench-tlb bench-tcg bench-tcg-quick

bench: deps all
	$(PY) tools/bench.py tools/bench/default.matrix $(BENCH_ARGS)

bench-quick: deps all
	$(PY) tools/bench.py tools/bench/quick.matrix $(BENCH_ARGS)

bench-large: deps all
	$(PY) tools/bench.py tools/bench/large.matrix $(BENCH_ARGS)

bench-scale: deps all
	$(PY) tools/bench.py tools/bench/scale.matrix $(BENCH_ARGS)

bench-sched: deps all
	$(PY) tools/bench.py tools/bench/sched.matrix $(BENCH_ARGS)

bench-tlb: deps all
	$(PY) tools/bench.py tools/bench/tlb.matrix $(BENCH_ARGS)

bench-tcg: deps all
	$(PY) tools/bench.py tools/bench/tcg.matrix $(BENCH_ARGS)

bench-tcg-quick: deps all
	$(PY) tools/bench.py tools/bench/tcg-quick.matrix $(BENCH_ARGS)
