"""tools/test_models.py (make test-models): the verdict per model and the
table, from run results built by hand (no emulator)."""

import pvhv_log
import pvhv_run
import test_models

RUN = '@pvhv {"kind":"run","backend":"%s","virt_features":["npt","nrip_save"]}'
END = '@pvhv {"kind":"end","status":"%s"}'
VM = '@pvhv {"kind":"vm","vm":0,"state":"done"}'
ERROR = '@pvhv {"kind":"error","key":"cpu","message":"no usable backend"}'


def result(lines, passed):
    text = "\n".join(lines) + "\n"
    return pvhv_run.Result(exit_code=0 if passed else 1, passed=passed, log_text=text,
                           records=pvhv_log.parse(text), reason="why")


def test_models_listed_are_those_with_vmx_or_svm():
    models = test_models.models_with_virt()
    assert "ryzen" in models and "corei7_skylake_x" in models and "turion64_tyler" in models
    assert "pentium" not in models and "athlon64_venice" not in models
    assert set(test_models.REFUSED) <= set(models)


def test_usable_model_must_pass():
    ok = result([RUN % "svm", VM, END % "pass"], True)
    assert test_models.judge("ryzen", ok)[:2] == ("pass", True)
    refused = result([RUN % "none", ERROR, END % "fail"], False)
    verdict, good, detail = test_models.judge("ryzen", refused)
    assert (verdict, good) == ("FAIL", False) and "refused" in detail
    killed = result([RUN % "svm", VM, END % "fail"], False)
    assert test_models.judge("ryzen", killed)[:2] == ("FAIL", False)


def test_model_without_what_pvhv_needs_must_be_refused_cleanly():
    refused = result([RUN % "none", ERROR, END % "fail"], False)
    assert test_models.judge("turion64_tyler", refused) == ("refused", True, "no usable backend")
    ran = result([RUN % "svm", VM, END % "pass"], True)
    assert test_models.judge("turion64_tyler", ran)[:2] == ("FAIL", False)
    started_vms = result([RUN % "vmx", ERROR, VM, END % "fail"], False)
    assert test_models.judge("core2_penryn_t9600", started_vms)[:2] == ("FAIL", False)


def test_table_has_one_row_per_model():
    rows = [{"model": "ryzen", "backend": "svm", "features": "npt nrip_save", "verdict": "pass",
             "ok": True, "detail": "", "wall_s": 12.34}]
    text = test_models.table(rows)
    assert text.splitlines()[0].startswith("| model | backend | features in use |")
    assert "| ryzen | svm | npt nrip_save | pass | 12.3 s |" in text


def test_32bit_model_is_listed_not_booted():
    row = test_models.run_model("core_duo_t2400_yonah", "vms=1", 1, 1)
    assert row["verdict"] == "not booted" and row["ok"] and "x86-64" in row["detail"]
