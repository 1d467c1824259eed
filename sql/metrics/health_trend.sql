-- health_trend: hub health at T - 7k days (k = point_id), each point computed as of
-- its own date, beside the latest recorded hub_health_snapshots score of the week
-- before the point ([as_of - 7 d, as_of)), where one exists.
WITH recorded AS (
    SELECT DISTINCT ON (p.point_id, s.hub_id)
        p.point_id,
        s.hub_id,
        s.health_score,
        s.computed_at
    FROM eval_points AS p
    JOIN hub_health_snapshots AS s
        ON s.computed_at < p.as_of
        AND s.computed_at >= p.as_of - INTERVAL '7 days'
    ORDER BY p.point_id, s.hub_id, s.computed_at DESC, s.id DESC
)
SELECT
    hh.hub_slug,
    hh.as_of,
    hh.health_score,
    hh.band,
    hh.open_candidates,
    hh.regressed_widgets,
    hh.stale_decisions,
    hh.active_bottlenecks,
    hh.red_widgets,
    hh.point_id AS weeks_before,
    rec.health_score AS recorded_health_score,
    rec.computed_at AS recorded_at
FROM hub_health AS hh
LEFT JOIN recorded AS rec
    ON rec.point_id = hh.point_id AND rec.hub_id = hh.hub_id
