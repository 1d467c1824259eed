-- friction_annotations: annotations that count as friction at each point:
-- created in the window [T - W, T), category not in non_friction_categories,
-- and not retracted before T (retracted_at IS NULL OR retracted_at >= T).
-- severity_weight: the configured weight, other_severity_weight for any other value.
SELECT
    p.point_id,
    a.id AS annotation_id,
    a.widget_id,
    a.category,
    a.thread_id,
    COALESCE(sw.weight, :other_severity_weight) AS severity_weight
FROM eval_points AS p
JOIN annotations AS a
    ON a.created_at >= p.window_start
    AND a.created_at < p.as_of
LEFT JOIN severity_weights AS sw
    ON sw.severity = a.severity
WHERE a.category NOT IN (SELECT category FROM non_friction_categories)
    AND (a.retracted_at IS NULL OR a.retracted_at >= p.as_of)
