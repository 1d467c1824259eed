-- evidence_annotations: the annotations behind annotation_points - every annotation on
-- a widget in scope created in the window [T - W, T) whose category is friction, with
-- whether it was retracted before T (then it does not count) and the severity weight
-- it adds when it counts. The author is deliberately not selected.
SELECT
    CAST(a.widget_id AS TEXT) AS widget_id,
    CAST(a.id AS TEXT) AS annotation_id,
    a.created_at,
    a.category,
    a.severity,
    a.body,
    COALESCE(a.retracted_at < p.as_of, FALSE) AS retracted,
    COALESCE(sw.weight, :other_severity_weight) AS severity_weight,
    p.as_of
FROM eval_points AS p
JOIN annotations AS a
    ON a.created_at >= p.window_start
    AND a.created_at < p.as_of
LEFT JOIN severity_weights AS sw
    ON sw.severity = a.severity
WHERE a.widget_id IN (SELECT widget_id FROM evidence_scope)
    AND a.category NOT IN (SELECT category FROM non_friction_categories)
