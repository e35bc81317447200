#!/usr/bin/python3
"""Bar charts of a benchmark in the style of the paper's figures: one group
of bars per over-commit level, one bar per configuration, the bar at the
median and an error bar from the minimum to the maximum of the repeats.
Written as PNG and SVG with matplotlib's Agg backend (no display needed)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import bench_matrix  # noqa: E402
import bench_report  # noqa: E402

HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]


def plot(rows, name, title, base):
    """Plot the primary metric of one experiment's rows to base.png and
    base.svg; return the two paths, or [] when nothing passed."""
    metric = bench_report.primary_metric(rows)
    st = bench_report.cell_stats(rows, metric)
    if not st:
        return []
    labels = list(bench_report.configs(rows))
    lv = bench_report.levels(rows)
    width = 0.8 / max(1, len(labels))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 + len(lv) * len(labels) * 0.45), 4.2))
    for i, lab in enumerate(labels):
        xs, ys, lo, hi = [], [], [], []
        for j, k in enumerate(lv):
            s = st.get((lab, k))
            if not s:
                continue
            med, mn, mx, _ = s
            xs.append(j - 0.4 + width * (i + 0.5))
            ys.append(med)
            lo.append(med - mn)
            hi.append(mx - med)
        if xs:
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=lab,
                   hatch=HATCHES[i % len(HATCHES)], edgecolor="black", linewidth=0.6)
    ax.set_xticks(range(len(lv)))
    ax.set_xticklabels([bench_matrix.level_name(k) for k in lv])
    ax.set_xlabel("over-commit: k VMs of P vCPUs on P pCPUs")
    ax.set_ylabel(bench_report.METRICS[metric][0])
    values = [s[2] for s in st.values()] + [s[1] for s in st.values()]
    positive = [v for v in values if v > 0]
    if positive and max(positive) / min(positive) > 50:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(axis="y", linestyle=":", linewidth=0.5)
    ax.legend(fontsize="small", ncol=2 if len(labels) > 4 else 1)
    fig.tight_layout()
    paths = [f"{base}.png", f"{base}.svg"]
    for p in paths:
        fig.savefig(p, dpi=120)
    plt.close(fig)
    return paths
