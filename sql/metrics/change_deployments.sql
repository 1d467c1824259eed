-- change_deployments: deployments with deployed_at in [T - report_days, T) and their
-- context: hub (as for bottlenecks), decision title, the evaluation made before T, and
-- whether they are still being observed (deployed_at + 14 d > T: nothing after T is read).
SELECT
    d.id AS deployment_id,
    d.decision_id,
    d.version_ref,
    d.deployed_at,
    ph.hub_id,
    dr.title AS decision_title,
    ev.score,
    ev.evaluated_at,
    d.deployed_at + INTERVAL '1 day' * :change_window_days > :as_of AS observing
FROM deployment_records AS d
LEFT JOIN decision_records AS dr
    ON dr.id = d.decision_id
LEFT JOIN pipeline_hubs AS ph
    ON ph.subject_type = 'deployment_records' AND ph.subject_id = d.id
LEFT JOIN (
    SELECT DISTINCT ON (ce.deployment_id) ce.deployment_id, ce.score, ce.evaluated_at
    FROM change_evaluations AS ce
    WHERE ce.evaluated_at < :as_of
    ORDER BY ce.deployment_id, ce.evaluated_at DESC, ce.id DESC
) AS ev
    ON ev.deployment_id = d.id
WHERE d.deployed_at >= :report_start
    AND d.deployed_at < :as_of
