-- activity_intervals: the half-open intervals [lo, hi) whose interaction events we
-- count, one id each:
--   window  - a scored widget's friction window [T - W, T)
--   before  - [deployed_at - 14 d, deployed_at) of a linked deployment (regression rule b)
--   after   - [deployed_at, min(deployed_at + 14 d, T))
-- (point_id, widget_id, kind, deployment_id) is unique, so the numbering is the same on
-- every engine; Spark also requires an ordered window for row_number.
SELECT
    row_number() OVER (ORDER BY point_id, widget_id, kind, deployment_id) AS interval_id,
    i.*
FROM (
    SELECT
        point_id,
        widget_id,
        CAST(NULL AS UUID) AS deployment_id,
        'window' AS kind,
        window_start AS lo,
        as_of AS hi
    FROM point_widgets
    UNION ALL
    SELECT
        point_id,
        widget_id,
        deployment_id,
        'before' AS kind,
        deployed_at - INTERVAL '1 day' * :regression_window_days AS lo,
        deployed_at AS hi
    FROM regression_links
    UNION ALL
    SELECT
        point_id,
        widget_id,
        deployment_id,
        'after' AS kind,
        deployed_at AS lo,
        LEAST(deployed_at + INTERVAL '1 day' * :regression_window_days, as_of) AS hi
    FROM regression_links
) AS i
