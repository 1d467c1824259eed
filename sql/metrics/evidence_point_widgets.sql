-- evidence_point_widgets: point_widgets limited to the widgets evidence is asked for
-- (evidence_scope, rendered by the workbench: one widget, or every widget of one hub).
-- Friction is per widget, so a score computed over this scope equals the full one.
SELECT
    p.point_id,
    p.as_of,
    p.window_start,
    w.id AS widget_id,
    w.hub_id
FROM eval_points AS p
JOIN widgets AS w
    ON w.created_at < p.as_of
JOIN evidence_scope AS sc
    ON sc.widget_id = w.id
