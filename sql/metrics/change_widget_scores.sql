-- change_widget_scores: per deployment and widget, the friction score before (as of
-- deployed_at) and after (as of deployed_at + 14 d), and whether the widget is one of
-- the deployment's own ('changed') or a control: another widget of the hub not linked
-- to any deployment deployed within 14 days of this one.
WITH scores AS (
    SELECT
        cp.deployment_id,
        wf.widget_id,
        wf.hub_id,
        max(CASE WHEN cp.side = 'before' THEN wf.score END) AS before_score,
        max(CASE WHEN cp.side = 'after' THEN wf.score END) AS after_score
    FROM widget_friction AS wf
    JOIN change_eval_points AS cp
        ON cp.point_id = wf.point_id
    GROUP BY cp.deployment_id, wf.widget_id, wf.hub_id
),
nearby_linked AS (
    SELECT DISTINCT cd.deployment_id, sl.widget_id
    FROM change_deployments AS cd
    JOIN deployment_records AS d2
        ON d2.deployed_at >= cd.deployed_at - INTERVAL '1 day' * :control_window_days
        AND d2.deployed_at <= cd.deployed_at + INTERVAL '1 day' * :control_window_days
        AND d2.deployed_at < :as_of
    JOIN signal_links AS sl
        ON sl.deployment_id = d2.id
)
SELECT
    s.deployment_id,
    s.widget_id,
    s.hub_id,
    CASE
        WHEN own.widget_id IS NOT NULL THEN 'changed'
        WHEN nl.widget_id IS NULL AND s.hub_id = cd.hub_id THEN 'control'
    END AS role,
    s.before_score,
    s.after_score
FROM scores AS s
JOIN change_deployments AS cd
    ON cd.deployment_id = s.deployment_id
LEFT JOIN signal_links AS own
    ON own.deployment_id = s.deployment_id AND own.widget_id = s.widget_id
LEFT JOIN nearby_linked AS nl
    ON nl.deployment_id = s.deployment_id AND nl.widget_id = s.widget_id
