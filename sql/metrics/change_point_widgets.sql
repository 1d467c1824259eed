-- change_point_widgets: widgets to score at each change evaluation point: the
-- deployment's own widgets (linked by outcome signals) and the other widgets of its hub
-- (the control group candidates), each only if it exists at the point.
SELECT
    cp.point_id,
    cp.as_of,
    cp.window_start,
    w.id AS widget_id,
    w.hub_id
FROM change_eval_points AS cp
JOIN change_deployments AS cd
    ON cd.deployment_id = cp.deployment_id
JOIN widgets AS w
    ON w.hub_id = cd.hub_id
    AND w.created_at < cp.as_of
UNION
SELECT
    cp.point_id,
    cp.as_of,
    cp.window_start,
    w.id AS widget_id,
    w.hub_id
FROM change_eval_points AS cp
JOIN signal_links AS sl
    ON sl.deployment_id = cp.deployment_id
JOIN widgets AS w
    ON w.id = sl.widget_id
    AND w.created_at < cp.as_of
