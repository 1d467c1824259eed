-- propagation_candidates: every hub that qualifies for a cross-hub pattern at T.
--   annotation_cluster   - >= cluster_min_annotations friction annotations of one
--                          category in the hub within the window
--   widget_type_friction - mean friction score >= type_min_mean_score over the hub's
--                          >= type_min_widgets widgets of one type
-- hub_count: qualifying hubs of the same pattern; the workbench keeps patterns with
-- hub_count >= pattern_min_hubs and picks the source hub (largest metric, ties: the
-- smallest slug, compared bytewise so both engines agree).
WITH cluster_counts AS (
    SELECT
        'annotation_cluster' AS pattern_type,
        fa.category AS key,
        w.hub_id,
        CAST(count(*) AS DOUBLE PRECISION) AS metric
    FROM friction_annotations AS fa
    JOIN widgets AS w
        ON w.id = fa.widget_id
    GROUP BY fa.category, w.hub_id
    HAVING count(*) >= :cluster_min_annotations
),
type_means AS (
    SELECT
        'widget_type_friction' AS pattern_type,
        w.widget_type AS key,
        wf.hub_id,
        CAST(sum(wf.score) AS DOUBLE PRECISION) / count(*) AS metric
    FROM widget_friction AS wf
    JOIN widgets AS w
        ON w.id = wf.widget_id
    GROUP BY w.widget_type, wf.hub_id
    HAVING count(*) >= :type_min_widgets
        AND CAST(sum(wf.score) AS DOUBLE PRECISION) / count(*) >= :type_min_mean_score
),
qualifying AS (
    SELECT * FROM cluster_counts
    UNION ALL
    SELECT * FROM type_means
)
SELECT
    q.pattern_type,
    q.key,
    h.slug AS hub_slug,
    q.metric,
    count(*) OVER (PARTITION BY q.pattern_type, q.key) AS hub_count
FROM qualifying AS q
JOIN hubs AS h
    ON h.id = q.hub_id
