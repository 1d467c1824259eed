-- point_widgets: the widgets scored at each evaluation point.
-- Friction has one row per widget that exists at T (created_at < T).
-- Change evaluation overrides this model with change_point_widgets.
SELECT
    p.point_id,
    p.as_of,
    p.window_start,
    w.id AS widget_id,
    w.hub_id
FROM eval_points AS p
JOIN widgets AS w
    ON w.created_at < p.as_of
