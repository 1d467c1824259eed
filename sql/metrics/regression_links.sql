-- regression_links: (point, widget, deployment) triples the regression flag looks at:
-- a deployment with deployed_at in the window [T - W, T), linked to the widget by an
-- outcome signal observed before T.
SELECT DISTINCT
    pw.point_id,
    pw.as_of,
    pw.widget_id,
    d.id AS deployment_id,
    d.deployed_at
FROM point_widgets AS pw
JOIN outcome_signals AS s
    ON s.widget_id = pw.widget_id
    AND s.observed_at < pw.as_of
JOIN deployment_records AS d
    ON d.id = s.deployment_id
    AND d.deployed_at >= pw.window_start
    AND d.deployed_at < pw.as_of
