-- hub_health: the spec's hub health per (point, hub) for hubs that exist at T.
--   health_score = 100 - min(20, 2 x open_candidates) - min(30, 10 x regressed_widgets)
--                - min(20, 5 x stale_decisions) - min(15, 3 x active_bottlenecks)
--                - min(15, 5 x red_widgets)
-- Items whose hub cannot be resolved ('unassigned') count toward no hub.
WITH widget_counts AS (
    SELECT
        point_id,
        hub_id,
        count(*) FILTER (WHERE regression_flag) AS regressed_widgets,
        count(*) FILTER (WHERE band = 'red') AS red_widgets
    FROM widget_friction
    GROUP BY point_id, hub_id
),
candidate_counts AS (
    SELECT cs.point_id, w.hub_id, count(*) AS open_candidates
    FROM candidate_status AS cs
    JOIN widgets AS w
        ON w.id = cs.source_widget_id
    WHERE cs.is_open
    GROUP BY cs.point_id, w.hub_id
),
bottleneck_counts AS (
    SELECT
        point_id,
        hub_id,
        count(*) FILTER (WHERE stage = 'decision') AS stale_decisions,
        count(*) AS active_bottlenecks
    FROM bottleneck_items
    WHERE hub_id IS NOT NULL
    GROUP BY point_id, hub_id
),
counts AS (
    SELECT
        p.point_id,
        p.as_of,
        h.id AS hub_id,
        h.slug AS hub_slug,
        h.name AS hub_name,
        CAST(COALESCE(cc.open_candidates, 0) AS BIGINT) AS open_candidates,
        CAST(COALESCE(wc.regressed_widgets, 0) AS BIGINT) AS regressed_widgets,
        CAST(COALESCE(bc.stale_decisions, 0) AS BIGINT) AS stale_decisions,
        CAST(COALESCE(bc.active_bottlenecks, 0) AS BIGINT) AS active_bottlenecks,
        CAST(COALESCE(wc.red_widgets, 0) AS BIGINT) AS red_widgets
    FROM eval_points AS p
    JOIN hubs AS h
        ON h.created_at < p.as_of
    LEFT JOIN candidate_counts AS cc
        ON cc.point_id = p.point_id AND cc.hub_id = h.id
    LEFT JOIN widget_counts AS wc
        ON wc.point_id = p.point_id AND wc.hub_id = h.id
    LEFT JOIN bottleneck_counts AS bc
        ON bc.point_id = p.point_id AND bc.hub_id = h.id
),
scored AS (
    SELECT
        c.*,
        100
        - LEAST(:health_open_candidate_cap, :health_open_candidate_weight * c.open_candidates)
        - LEAST(:health_regressed_cap, :health_regressed_weight * c.regressed_widgets)
        - LEAST(:health_stale_decision_cap, :health_stale_decision_weight * c.stale_decisions)
        - LEAST(:health_bottleneck_cap, :health_bottleneck_weight * c.active_bottlenecks)
        - LEAST(:health_red_widget_cap, :health_red_widget_weight * c.red_widgets) AS health_score
    FROM counts AS c
)
SELECT
    s.*,
    CASE
        WHEN s.health_score >= :health_healthy_min THEN 'healthy'
        WHEN s.health_score >= :health_watch_min THEN 'watch'
        ELSE 'at_risk'
    END AS band
FROM scored AS s
