-- deployment_changes: the change evaluation of each deployment in the report range.
--   widgets - its distinct outcome-signal widgets (observed before T)
--   delta   - mean(after - before) over those widgets with both scores
--   verdict - no_widgets | observing | improved (delta <= -5) | regressed (delta >= 5) | neutral
--   did     - delta - mean(after - before) over the control widgets (empty without controls)
--   lead_time_days - from the earliest created_at of the candidates behind its decision
--                    (the requirement's source candidate and the decision's own candidate)
WITH linked AS (
    SELECT sl.deployment_id, count(*) AS widgets
    FROM signal_links AS sl
    JOIN change_deployments AS cd
        ON cd.deployment_id = sl.deployment_id
    GROUP BY sl.deployment_id
),
effects AS (
    SELECT
        deployment_id,
        count(*) FILTER (WHERE role = 'changed') AS changed_scored,
        CAST(sum(after_score - before_score) FILTER (WHERE role = 'changed') AS DOUBLE PRECISION)
            / NULLIF(count(*) FILTER (WHERE role = 'changed'), 0) AS delta,
        CAST(sum(before_score) FILTER (WHERE role = 'changed') AS DOUBLE PRECISION)
            / NULLIF(count(*) FILTER (WHERE role = 'changed'), 0) AS before_mean,
        CAST(sum(after_score) FILTER (WHERE role = 'changed') AS DOUBLE PRECISION)
            / NULLIF(count(*) FILTER (WHERE role = 'changed'), 0) AS after_mean,
        count(*) FILTER (WHERE role = 'control') AS control_widgets,
        CAST(sum(after_score - before_score) FILTER (WHERE role = 'control') AS DOUBLE PRECISION)
            / NULLIF(count(*) FILTER (WHERE role = 'control'), 0) AS control_delta
    FROM change_widget_scores
    WHERE before_score IS NOT NULL AND after_score IS NOT NULL
    GROUP BY deployment_id
),
lead_times AS (
    SELECT cd.deployment_id, min(c.created_at) AS first_created_at
    FROM change_deployments AS cd
    JOIN decision_records AS dr
        ON dr.id = cd.decision_id
    LEFT JOIN requirements AS r
        ON r.id = dr.requirement_id
    JOIN requirement_candidates AS c
        ON (c.id = r.source_candidate_id OR c.id = dr.candidate_id)
        AND c.created_at < :as_of
    GROUP BY cd.deployment_id
),
judged AS (
    SELECT
        cd.*,
        COALESCE(l.widgets, 0) AS widgets,
        CASE
            WHEN COALESCE(l.widgets, 0) = 0 THEN 'no_widgets'
            WHEN cd.observing THEN 'observing'
            WHEN e.delta IS NULL THEN 'no_widgets'
            WHEN e.delta <= :improved_delta THEN 'improved'
            WHEN e.delta >= :regressed_delta THEN 'regressed'
            ELSE 'neutral'
        END AS verdict,
        e.delta,
        e.before_mean,
        e.after_mean,
        e.control_widgets,
        e.control_delta,
        EXTRACT(EPOCH FROM (cd.deployed_at - lt.first_created_at)) / 86400.0 AS lead_time_days
    FROM change_deployments AS cd
    LEFT JOIN linked AS l
        ON l.deployment_id = cd.deployment_id
    LEFT JOIN effects AS e
        ON e.deployment_id = cd.deployment_id
    LEFT JOIN lead_times AS lt
        ON lt.deployment_id = cd.deployment_id
)
SELECT
    j.*,
    CASE WHEN j.verdict IN ('improved', 'regressed', 'neutral') THEN j.delta END AS reported_delta,
    CASE
        WHEN j.verdict IN ('improved', 'regressed', 'neutral') AND j.control_widgets > 0
        THEN j.delta - j.control_delta
    END AS did
FROM judged AS j
