#!/usr/bin/python3
"""Boot pvhv on every Bochs CPU model that offers VMX or SVM (`make
test-models`, issue 14) and print one table row per model: the backend the
run record names, the virtualization features in use, the verdict and the
wall time.

A model that has what pvhv needs must pass; NOT_BOOTED ones are listed
without a boot. A model in REFUSED (VMX
without EPT or unrestricted guest, SVM without NPT, per Bochs 2.7's cpudb)
must be refused cleanly: exactly one `error` record, no VM started, the
fail status. Anything else (a killed VM, a timeout, a refusal of a model
pvhv should run, a run on a model it should refuse) fails the model, and
the script exits 1 if any model failed.

Each boot goes through tools/pvhv_run.py (the `make run` path), one
emulator at a time.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pvhv_log  # noqa: E402
import pvhv_run  # noqa: E402

DEFAULT_ARGS = "vms=2 vcpus=2 task=smp,lockstress,tlbstress duration=200 mem=8M"
DEFAULT_SMP = 2
DEFAULT_TIMEOUT = 300


REFUSED = {
    "core2_penryn_t9600": "VMX without EPT",
    "corei5_lynnfield_750": "VMX with EPT but without unrestricted guest",
    "turion64_tyler": "SVM without nested paging",
}


# Offers VMX but is a 32-bit CPU: pvhv (x86-64 only) cannot start there, so
# there is nothing to refuse with a record; listed, not booted.
NOT_BOOTED = {"core_duo_t2400_yonah": "32-bit CPU (no long mode); pvhv is x86-64 only"}


def models_with_virt():
    return [m for m, backend in pvhv_run.BOCHS_CPU_MODELS.items() if backend]


def judge(model, result):
    """(verdict, ok, detail) for one finished run."""
    errors = pvhv_log.of_kind(result.records, "error")
    end = pvhv_log.last(result.records, "end")
    refused = (len(errors) == 1 and end is not None and end.get("status") == "fail"
               and not pvhv_log.of_kind(result.records, "vm"))
    if model in REFUSED:
        if refused:
            return "refused", True, errors[0].get("message", "")
        return "FAIL", False, f"should be refused ({REFUSED[model]}): {result.reason}"
    if result.passed:
        return "pass", True, ""
    if refused:
        return "FAIL", False, f"refused: {errors[0].get('message', '')}"
    return "FAIL", False, result.reason


def run_model(model, args, smp, timeout):
    if model in NOT_BOOTED:
        return {"model": model, "backend": "-", "features": "-", "verdict": "not booted",
                "ok": True, "detail": NOT_BOOTED[model], "wall_s": 0.0}
    started = time.monotonic()
    result = pvhv_run.run(smp=smp, args=args, timeout=timeout, emu="bochs", cpu=model,
                          quiet=True)
    wall = time.monotonic() - started
    verdict, ok, detail = judge(model, result)
    first = result.records[0] if result.records and result.records[0].get("kind") == "run" else {}
    return {
        "model": model,
        "backend": first.get("backend", "?"),
        "features": " ".join(first.get("virt_features", [])) or "-",
        "verdict": verdict,
        "ok": ok,
        "detail": detail,
        "wall_s": wall,
    }


def table(rows):
    lines = ["| model | backend | features in use | result | wall time |",
             "| --- | --- | --- | --- | --- |"]
    for r in rows:
        result = r["verdict"] + (f": {r['detail']}" if r["detail"] else "")
        lines.append(f"| {r['model']} | {r['backend']} | {r['features']} | {result} | "
                     f"{r['wall_s']:.1f} s |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--args", default=DEFAULT_ARGS, help=f"hypervisor command line, default '{DEFAULT_ARGS}'")
    ap.add_argument("--smp", type=int, default=DEFAULT_SMP, help=f"pCPUs, default {DEFAULT_SMP}")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per boot, seconds")
    ap.add_argument("--models", help="comma-separated subset (default: every model with VMX or SVM)")
    ap.add_argument("--markdown", metavar="FILE", help="also write the table here")
    opts = ap.parse_args(argv)
    models = opts.models.split(",") if opts.models else models_with_virt()
    rows = []
    try:
        for i, model in enumerate(models, 1):
            pvhv_run.bochs_model(model)   # unknown names fail before any boot
            print(f"test-models: [{i}/{len(models)}] {model} ...", file=sys.stderr, flush=True)
            rows.append(run_model(model, opts.args, opts.smp, opts.timeout))
            print(f"test-models: {model}: {rows[-1]['verdict']} ({rows[-1]['wall_s']:.1f} s)",
                  file=sys.stderr, flush=True)
    except pvhv_run.RunError as e:
        print(f"test-models: error: {e}", file=sys.stderr)
        return 1
    text = table(rows)
    print(text)
    if opts.markdown:
        Path(opts.markdown).write_text(text + "\n")
    failed = [r["model"] for r in rows if not r["ok"]]
    if failed:
        print(f"test-models: FAIL: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"test-models: all {len(rows)} models passed or were refused cleanly", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
