"""Change evaluation report: deployments before/after, verdicts, DiD, lead time, scores."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from ihub_analysis.charts.base import (
    date_label,
    describe,
    filter_hubs,
    inline_data,
    no_data_chart,
    pct,
    plural,
    quantile,
)
from ihub_analysis.charts.theme import (
    ACCENT,
    EFFECT_COLORS,
    EFFECTS,
    INK,
    SCORE_COLORS,
    VERDICT_COLORS,
    VERDICTS,
    chart_title,
    color_scale,
    finish,
)

#: The data table under both per-deployment charts (before/after, and against control).
DEPLOYMENT_TABLE_COLUMNS = {
    "deployment": "Deployment",
    "deployed": "Deployed (UTC)",
    "verdict": "Verdict",
    "before_mean": "Friction before",
    "after_mean": "Friction after",
    "delta": "Δ friction",
    "did": "Δ vs control (DiD)",
}


def _deployment_labels(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.format("{} · {}", "version_ref", "hub_slug").alias("deployment"),
        date_label("deployed_at").alias("deployed"),
    ).with_columns(
        # keep labels unique when a version is deployed twice in one hub
        pl.when(pl.col("deployment").count().over("deployment") > 1)
        .then(pl.format("{} ({})", "deployment", "deployed"))
        .otherwise(pl.col("deployment"))
        .alias("deployment")
    )


def _change_tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("deployment:N", title="Deployment"),
        alt.Tooltip("decision_title:N", title="Decision"),
        alt.Tooltip("deployed:N", title="Deployed (UTC)"),
        alt.Tooltip("verdict:N", title="Verdict"),
        alt.Tooltip("before_mean:Q", title="Friction before", format=".1f"),
        alt.Tooltip("after_mean:Q", title="Friction after", format=".1f"),
        alt.Tooltip("delta:Q", title="Δ friction", format="+.1f"),
        alt.Tooltip("did:Q", title="Δ vs control (DiD)", format="+.1f"),
        alt.Tooltip("control_widgets:Q", title="Control widgets"),
        alt.Tooltip("widgets:Q", title="Changed widgets"),
        alt.Tooltip("score:Q", title="Evaluation score (1–5)"),
    ]


def _rounded() -> list[pl.Expr]:
    """The friction means and changes to one decimal, as the tooltips show them."""
    return [pl.col(c).round(1) for c in ("before_mean", "after_mean", "delta", "did")]


_CHANGE_COLS = [
    "deployment",
    "decision_title",
    "deployed",
    "deployed_at",
    "verdict",
    "before_mean",
    "after_mean",
    "delta",
    "did",
    "control_widgets",
    "widgets",
    "score",
    "hub_slug",
]


def _newest_deployments(frame: pl.DataFrame, limit: int | None) -> tuple[pl.DataFrame, alt.Y]:
    """The per-deployment chart data, newest first (at most ``limit``), and its y axis."""
    frame = _deployment_labels(frame.sort("deployed_at", descending=True))
    if limit:
        frame = frame.head(limit)
    data = frame.select(_CHANGE_COLS).with_columns(
        pl.col("deployed_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    y = alt.Y(
        "deployment:N",
        title=None,
        sort=data["deployment"].to_list(),
        axis=alt.Axis(labelLimit=320),
    )
    return data, y


def change_dumbbell(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    limit: int | None = 40,
    title: str = "Friction before and after each deployment",
) -> alt.LayerChart | alt.Chart:
    """Dumbbell per evaluated deployment: mean friction of its widgets before (○) and after (●).

    ``changes`` is :meth:`Workbench.changes`; deployments still observing (no
    ``after`` yet) or without widgets are left out.  Newest first, at most ``limit``.
    """
    frame = filter_hubs(changes, hubs).filter(
        pl.col("before_mean").is_not_null() & pl.col("after_mean").is_not_null()
    )
    if frame.is_empty():
        return no_data_chart(title, "No deployment in the range has a before/after comparison yet.")
    data, y = _newest_deployments(frame, limit)
    verdict = alt.Color(
        "verdict:N",
        scale=color_scale(VERDICTS[:3], VERDICT_COLORS[:3]),
        legend=alt.Legend(title="Verdict", orient="top"),
    )
    tooltip = _change_tooltip()
    x_title = "Mean friction score of the changed widgets (0–100)"
    base = alt.Chart(inline_data(data))
    rule = base.mark_rule(strokeWidth=3, opacity=0.7).encode(
        x=alt.X("before_mean:Q", title=x_title, scale=alt.Scale(domain=[0, 100], nice=False)),
        x2="after_mean:Q",
        y=y,
        color=verdict,
        tooltip=tooltip,
    )
    before = base.mark_point(
        size=70,
        shape="circle",
        filled=True,
        fill="white",
        stroke="#555555",
        strokeWidth=1.8,
        opacity=1,
    ).encode(x="before_mean:Q", y=y, tooltip=tooltip)
    after = base.mark_circle(size=90, opacity=1).encode(
        x="after_mean:Q", y=y, color=verdict, tooltip=tooltip
    )
    chart = alt.layer(rule, before, after).properties(
        width=460,
        height=alt.Step(22),
        title=chart_title(
            title,
            [
                "Newest first. ○ friction (14-day window) as of the deployment → ● 14 days after.",
                "Verdict: improved if the mean change Δ ≤ −5, regressed if Δ ≥ +5, "
                "otherwise neutral.",
            ],
        ),
    )
    verdicts = {v: data.filter(pl.col("verdict") == v).height for v in VERDICTS[:3]}
    summary = (
        f"{plural(data.height, 'deployment')} compared before and after: "
        f"{verdicts['improved']} improved, {verdicts['neutral']} neutral and "
        f"{verdicts['regressed']} regressed."
    )
    return describe(
        finish(chart),
        summary,
        data.with_columns(_rounded()),
        DEPLOYMENT_TABLE_COLUMNS,
    )


def change_verdicts(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    title: str = "Verdicts and change failure rate",
) -> alt.LayerChart | alt.Chart:
    """Deployments per verdict; the subtitle gives the change failure rate."""
    frame = filter_hubs(changes, hubs)
    if frame.is_empty():
        return no_data_chart(title, "No deployment in the report range.")
    counts = frame.group_by("verdict").agg(pl.len().cast(pl.Int64).alias("deployments"))
    present = set(counts["verdict"].to_list())
    domain = [v for v in VERDICTS if v in present] + sorted(present - set(VERDICTS))
    colors = dict(zip(VERDICTS, VERDICT_COLORS, strict=True))
    n = {v: int(c) for v, c in counts.iter_rows()}
    judged = n.get("improved", 0) + n.get("neutral", 0) + n.get("regressed", 0)
    cfr = n.get("regressed", 0) / judged if judged else None
    subtitle = (
        f"Change failure rate {pct(cfr)} = regressed ÷ (improved + neutral + regressed) = "
        f"{n.get('regressed', 0)} ÷ {judged}"
        if cfr is not None
        else "Change failure rate: no deployment judged yet"
    )
    y = alt.Y("verdict:N", title="Verdict", sort=domain, scale=alt.Scale(domain=domain))
    base = alt.Chart(inline_data(counts))
    bars = base.mark_bar(height={"band": 0.65}).encode(
        x=alt.X(
            "deployments:Q", title="Deployments (count)", axis=alt.Axis(tickMinStep=1, format="d")
        ),
        y=y,
        color=alt.Color(
            "verdict:N",
            scale=color_scale(domain, [colors.get(v, "#999999") for v in domain]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("verdict:N", title="Verdict"),
            alt.Tooltip("deployments:Q", title="Deployments"),
        ],
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color=INK).encode(
        x="deployments:Q", y=y, text="deployments:Q"
    )
    chart = alt.layer(bars, text).properties(
        width=360, height=alt.Step(26), title=chart_title(title, subtitle)
    )
    table = counts.sort(pl.col("verdict").replace_strict({v: i for i, v in enumerate(domain)}))
    summary = f"{plural(frame.height, 'deployment')} in the range. {subtitle}."
    return describe(
        finish(chart), summary, table, {"verdict": "Verdict", "deployments": "Deployments"}
    )


def did_chart(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    limit: int | None = 40,
    title: str = "Change against the control group (difference in differences)",
) -> alt.LayerChart | alt.Chart:
    """Per deployment: its friction change minus its control widgets' (negative is better)."""
    frame = filter_hubs(changes, hubs).filter(pl.col("did").is_not_null())
    if frame.is_empty():
        return no_data_chart(title, "No deployment has a control group to compare with yet.")
    data, y = _newest_deployments(frame, limit)
    data = data.with_columns(
        pl.when(pl.col("did") < 0)
        .then(pl.lit("less friction than control"))
        .when(pl.col("did") > 0)
        .then(pl.lit("more friction than control"))
        .otherwise(pl.lit("same as control"))
        .alias("effect"),
    )
    base = alt.Chart(inline_data(data))
    bars = base.mark_bar(height={"band": 0.7}).encode(
        x=alt.X("did:Q", title="Δ friction minus the control widgets' Δ (score points)"),
        y=y,
        color=alt.Color(
            "effect:N",
            scale=color_scale(EFFECTS, EFFECT_COLORS),
            legend=alt.Legend(title=None, orient="top"),
        ),
        tooltip=_change_tooltip(),
    )
    zero = alt.Chart(alt.Data(values=[{"v": 0}])).mark_rule(color=INK).encode(x="v:Q")
    chart = alt.layer(bars, zero).properties(
        width=420,
        height=alt.Step(22),
        title=chart_title(
            title,
            "Newest first. Negative: the changed widgets improved more than "
            "comparable widgets of the hub",
        ),
    )
    less = data.filter(pl.col("did") < 0).height
    more = data.filter(pl.col("did") > 0).height
    summary = (
        f"Of {plural(data.height, 'deployment')} with a control group, {less} reduced friction "
        f"more than their control widgets and {more} did worse than them."
    )
    return describe(
        finish(chart),
        summary,
        data.with_columns(_rounded()),
        DEPLOYMENT_TABLE_COLUMNS,
    )


def lead_time_chart(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    title: str = "Lead time from first candidate to deployment",
) -> alt.LayerChart | alt.Chart:
    """Histogram of deployments' lead times (days) with the median and 90th percentile marked."""
    frame = filter_hubs(changes, hubs).filter(pl.col("lead_time_days").is_not_null())
    if frame.is_empty():
        return no_data_chart(title, "No deployment with a known lead time in the report range.")
    p50 = quantile(frame["lead_time_days"], 0.5)
    p90 = quantile(frame["lead_time_days"], 0.9)
    data = frame.select(pl.col("lead_time_days").round(2), "hub_slug", "version_ref")
    bars = (
        alt.Chart(inline_data(data))
        .mark_bar(color=ACCENT, opacity=0.85, binSpacing=1)
        .encode(
            x=alt.X("lead_time_days:Q", bin=alt.Bin(maxbins=14), title="Lead time (days)"),
            y=alt.Y(
                "count():Q", title="Deployments (count)", axis=alt.Axis(tickMinStep=1, format="d")
            ),
            tooltip=[
                alt.Tooltip("lead_time_days:Q", bin=alt.Bin(maxbins=14), title="Lead time (days)"),
                alt.Tooltip("count():Q", title="Deployments"),
            ],
        )
    )
    marks = pl.DataFrame({"v": [p50, p90], "label": [f"median {p50:.1f} d", f"p90 {p90:.1f} d"]})
    rules = (
        alt.Chart(inline_data(marks))
        .mark_rule(color=INK, strokeDash=[4, 3], strokeWidth=1.5)
        .encode(x="v:Q")
    )
    texts = [
        alt.Chart(inline_data(marks[i : i + 1]))
        .mark_text(align=align, dx=dx, baseline="bottom", fontSize=11, color=INK)
        .encode(x="v:Q", y=alt.value(-4), text="label:N")
        for i, (align, dx) in enumerate((("right", -3), ("left", 3)))
    ]
    chart = alt.layer(bars, rules, *texts).properties(
        width=460,
        height=200,
        title=alt.TitleParams(
            title,
            subtitle=f"{frame.height} deployments; "
            "from the earliest candidate behind the decision to deployed_at",
            offset=22,
        ),
    )
    summary = (
        f"{plural(frame.height, 'deployment')} with a known lead time; median "
        f"{p50:.1f} days, 90th percentile {p90:.1f} days."
    )
    return describe(
        finish(chart),
        summary,
        data.sort("lead_time_days", "version_ref"),
        {"version_ref": "Deployment", "hub_slug": "Hub", "lead_time_days": "Lead time (days)"},
    )


def evaluation_scores_chart(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    title: str = "Evaluation scores",
) -> alt.LayerChart | alt.Chart:
    """Deployments per change-evaluation score (1–5); the subtitle gives the mean and coverage."""
    frame = filter_hubs(changes, hubs)
    scored = frame.filter(pl.col("score").is_not_null())
    if scored.is_empty():
        return no_data_chart(title, "No deployment in the range has been evaluated yet.")
    counts = (
        pl.DataFrame({"score": [1, 2, 3, 4, 5]})
        .join(
            scored.group_by("score").agg(pl.len().cast(pl.Int64).alias("deployments")),
            on="score",
            how="left",
        )
        .with_columns(pl.col("deployments").fill_null(0))
    )
    mean = float(scored["score"].mean())  # type: ignore[arg-type]
    subtitle = (
        f"{scored.height} of {frame.height} deployments evaluated "
        f"({pct(scored.height / frame.height)}); "
        f"mean score {mean:.1f}; ≤ 2 flags a regression"
    )
    base = alt.Chart(inline_data(counts))
    x = alt.X(
        "score:O",
        title="Evaluation score (1 = much worse … 5 = much better)",
        axis=alt.Axis(labelAngle=0),
    )
    bars = base.mark_bar(width={"band": 0.7}).encode(
        x=x,
        y=alt.Y(
            "deployments:Q", title="Deployments (count)", axis=alt.Axis(tickMinStep=1, format="d")
        ),
        color=alt.Color(
            "score:O",
            scale=alt.Scale(
                domain=[1, 2, 3, 4, 5],
                range=list(SCORE_COLORS),
            ),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("score:O", title="Score"),
            alt.Tooltip("deployments:Q", title="Deployments"),
        ],
    )
    text = base.mark_text(dy=-6, fontSize=11, color=INK).encode(
        x=x, y="deployments:Q", text="deployments:Q"
    )
    chart = alt.layer(bars, text).properties(
        width=300, height=180, title=chart_title(title, subtitle)
    )
    low = int(counts.filter(pl.col("score") <= 2)["deployments"].sum())
    summary = (
        f"{scored.height} of {plural(frame.height, 'deployment')} evaluated, mean score "
        f"{mean:.1f} of 5; {low} scored 2 or less, which flags a regression."
    )
    return describe(
        finish(chart), summary, counts, {"score": "Score (1–5)", "deployments": "Deployments"}
    )
