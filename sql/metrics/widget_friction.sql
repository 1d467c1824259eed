-- widget_friction: the friction score of every scored widget at every point.
--   annotation_points = min(40, 2 x sum of severity weights)
--   error_points      = min(30, 300 x errors / max(events, min_volume))
--   regression_points = 20 if the regression flag is set
--   stale_points      = min(10, 5 x stale candidates)
--   score = floor(sum + 0.5), kept within 0..100; band by the score.
WITH components AS (
    SELECT
        pw.point_id,
        pw.as_of,
        pw.widget_id,
        pw.hub_id,
        act.events AS interaction_count,
        act.errors AS error_event_count,
        COALESCE(ann.annotation_count, 0) AS annotation_count,
        COALESCE(reg.regression_flag, FALSE) AS regression_flag,
        COALESCE(st.stale_candidate_count, 0) AS stale_candidate_count,
        CAST(act.errors AS DOUBLE PRECISION) / GREATEST(act.events, :min_volume) AS error_rate,
        LEAST(:annotation_cap, :annotation_weight * COALESCE(ann.severity_weight_sum, 0)) AS annotation_points,
        LEAST(:error_cap, :error_rate_weight * act.errors / GREATEST(act.events, :min_volume)) AS error_points,
        CASE WHEN reg.regression_flag THEN :regression_points ELSE CAST(0 AS DOUBLE PRECISION) END AS regression_points,
        LEAST(:stale_cap, :stale_weight * COALESCE(st.stale_candidate_count, 0)) AS stale_points
    FROM point_widgets AS pw
    JOIN interval_activity AS act
        ON act.point_id = pw.point_id
        AND act.widget_id = pw.widget_id
        AND act.kind = 'window'
    LEFT JOIN (
        SELECT point_id, widget_id, count(*) AS annotation_count, sum(severity_weight) AS severity_weight_sum
        FROM friction_annotations
        GROUP BY point_id, widget_id
    ) AS ann
        ON ann.point_id = pw.point_id AND ann.widget_id = pw.widget_id
    LEFT JOIN regression_flags AS reg
        ON reg.point_id = pw.point_id AND reg.widget_id = pw.widget_id
    LEFT JOIN stale_candidates AS st
        ON st.point_id = pw.point_id AND st.widget_id = pw.widget_id
),
scored AS (
    SELECT
        c.*,
        CAST(LEAST(100, GREATEST(0, floor(
            c.annotation_points + c.error_points + c.regression_points + c.stale_points + 0.5
        ))) AS INTEGER) AS score
    FROM components AS c
)
SELECT
    s.*,
    CASE
        WHEN s.score >= :band_red THEN 'red'
        WHEN s.score >= :band_amber THEN 'amber'
        WHEN s.score >= :band_yellow THEN 'yellow'
        ELSE 'green'
    END AS band
FROM scored AS s
