-- changes: the change-evaluation report row of each deployment in the range.
SELECT
    CAST(dc.deployment_id AS TEXT) AS deployment_id,
    COALESCE(h.slug, 'unassigned') AS hub_slug,
    dc.version_ref,
    dc.deployed_at,
    dc.score,
    CAST(dc.widgets AS BIGINT) AS widgets,
    dc.reported_delta AS delta,
    dc.verdict,
    dc.did,
    CAST(dc.lead_time_days AS DOUBLE PRECISION) AS lead_time_days,
    :as_of AS as_of,
    dc.decision_title,
    dc.evaluated_at,
    CASE WHEN dc.reported_delta IS NOT NULL THEN dc.before_mean END AS before_mean,
    CASE WHEN dc.reported_delta IS NOT NULL THEN dc.after_mean END AS after_mean,
    CAST(COALESCE(dc.control_widgets, 0) AS BIGINT) AS control_widgets,
    CASE WHEN dc.reported_delta IS NOT NULL THEN dc.control_delta END AS control_delta
FROM deployment_changes AS dc
LEFT JOIN hubs AS h
    ON h.id = dc.hub_id
