"""tools/sched_table.py: the per-policy table of issue 12 from synthetic
lockstress logs (two policies, 1x and 2x, ticket and pvticket)."""

import json

import sched_table


def write_log(path, cfg, tputs, waste, lhp):
    recs = [{"kind": "run", "config": dict(cfg, vms=len(tputs), task="lockstress")}]
    for vm, t in enumerate(tputs):
        recs.append({"kind": "lock_vm", "vm": vm, "lock": cfg["lock"], "throughput": t,
                     "spin_waste": waste})
        recs.append({"kind": "vm", "vm": vm, "lhp": lhp})
    path.write_text("".join(f"@pvhv {json.dumps(r)}\n" for r in recs))
    return path


def test_efficiency_jain_waste_and_lhp_per_policy(tmp_path):
    logs = []
    for lock in ("ticket", "pvticket"):
        base = {"sched": "cfs", "lock": lock, "kick_yield": "off", "lock_grace": 0}
        logs.append(write_log(tmp_path / f"a1{lock}.log", base, [1000], 0.4, 0))
        logs.append(write_log(tmp_path / f"a2{lock}.log", base, [400, 200], 0.9, 3))
        ky = dict(base, kick_yield="on")
        logs.append(write_log(tmp_path / f"b1{lock}.log", ky, [1000], 0.4, 0))
        logs.append(write_log(tmp_path / f"b2{lock}.log", ky, [450, 450], 0.5, 1))
    (tmp_path / "junk.log").write_text("no records here\n")
    lines = sched_table.table(sched_table.collect(logs + [tmp_path / "junk.log"])).splitlines()
    assert len(lines) == 2 + 4
    rows = {tuple(c.strip() for c in ln.split("|")[1:3]): [c.strip() for c in ln.split("|")[3:-1]]
            for ln in lines[2:]}
    # cfs 2x: mean 300/s against a fair share of 1000/2: 0.60; Jain of
    # 400, 200 is 600^2 / (2 * 200000) = 0.90; per VM 3 LHP, 6 in all.
    assert rows[("cfs", "2x")][:5] == ["300", "0.60", "0.90", "0.90", "6"]
    assert rows[("cfs + kick_yield", "2x")][5:] == ["450", "0.90", "1.00", "0.50", "2"]
    assert rows[("cfs", "1x")][:5] == ["1000", "-", "-", "0.40", "0"]


def test_no_lockstress_logs_is_an_error(tmp_path, capsys):
    (tmp_path / "x.log").write_text("nothing\n")
    assert sched_table.main([str(tmp_path / "x.log")]) == 1
    assert "no lockstress run" in capsys.readouterr().err
