"""Small frame-to-frame steps done after the SQL, on aggregated rows only.

They live in Python because they compare text (slugs) and both engines must
agree byte for byte; database collations need not.
"""

from __future__ import annotations

import polars as pl

from ihub_analysis.metrics.schemas import HEALTH_ARROWS, PROPAGATION, conform

_PATTERN_WORDS = {
    "annotation_cluster": ("friction annotations of category", "annotations"),
    "widget_type_friction": ("widgets of type", "mean friction"),
}


def build_patterns(candidates: pl.DataFrame, min_hubs: int) -> pl.DataFrame:
    """Cross-hub patterns from qualifying hubs (see ``propagation_candidates.sql``).

    A pattern needs ``min_hubs`` qualifying hubs; its source hub has the largest
    metric (ties: the smallest slug), the others are the affected hubs, sorted.
    """
    rows = []
    qualifying = candidates.filter(pl.col("hub_count") >= min_hubs)
    for (pattern_type, key), group in qualifying.group_by(["pattern_type", "key"]):
        ordered = sorted(group.iter_rows(named=True), key=lambda r: (-r["metric"], r["hub_slug"]))
        source, affected = ordered[0], sorted(r["hub_slug"] for r in ordered[1:])
        what, unit = _PATTERN_WORDS.get(str(pattern_type), ("", "metric"))
        metric = float(source["metric"])
        shown = (
            f"{metric:.0f} {unit}"
            if pattern_type == "annotation_cluster"
            else f"{unit} {metric:.1f}"
        )
        rows.append(
            {
                "pattern_type": pattern_type,
                "key": key,
                "source_hub": source["hub_slug"],
                "affected_hubs": ";".join(affected),
                "metric": metric,
                "summary": f"{what} '{key}' concentrate in {len(ordered)} hubs: "
                f"{source['hub_slug']} leads ({shown}), also {', '.join(affected)}",
                "hub_count": len(ordered),
                "as_of": source["as_of"],
            }
        )
    frame = pl.DataFrame(rows, schema=PROPAGATION) if rows else pl.DataFrame(schema=PROPAGATION)
    return conform(frame, PROPAGATION).sort(["pattern_type", "key"])


def trend_arrows(trend: pl.DataFrame, weeks_back: int = 4) -> pl.DataFrame:
    """Per hub: score at T vs ``weeks_back`` weeks before, and an arrow ↑ ↓ → (or · if unknown)."""
    now = trend.filter(pl.col("weeks_before") == 0).select("hub_slug", "health_score")
    before = trend.filter(pl.col("weeks_before") == weeks_back).select(
        "hub_slug", pl.col("health_score").alias("previous_score")
    )
    joined = now.join(before, on="hub_slug", how="left").with_columns(
        (pl.col("health_score") - pl.col("previous_score")).alias("change")
    )
    arrow = (
        pl.when(pl.col("change").is_null())
        .then(pl.lit("·"))
        .when(pl.col("change") > 0)
        .then(pl.lit("↑"))
        .when(pl.col("change") < 0)
        .then(pl.lit("↓"))
        .otherwise(pl.lit("→"))
    )
    return conform(joined.with_columns(arrow.alias("arrow")), HEALTH_ARROWS).sort("hub_slug")
