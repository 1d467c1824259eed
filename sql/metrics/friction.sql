-- friction: one row per widget existing at T, with its score's components.
-- (With several evaluation points, one row per widget per point: friction history.)
SELECT
    CAST(wf.widget_id AS TEXT) AS widget_id,
    h.slug AS hub_slug,
    w.name AS widget_name,
    w.widget_type,
    wf.interaction_count,
    wf.error_event_count,
    wf.annotation_count,
    wf.regression_flag,
    wf.stale_candidate_count,
    wf.score,
    wf.band,
    wf.as_of,
    h.name AS hub_name,
    wf.error_rate,
    wf.annotation_points,
    wf.error_points,
    wf.regression_points,
    wf.stale_points
FROM widget_friction AS wf
JOIN widgets AS w
    ON w.id = wf.widget_id
JOIN hubs AS h
    ON h.id = w.hub_id
