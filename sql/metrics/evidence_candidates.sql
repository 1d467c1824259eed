-- evidence_candidates: the candidates behind stale_candidate_count and open_candidates -
-- every candidate open at T whose source widget is in scope, with its age and whether
-- it is stale (T - created_at > candidate_threshold_days, as in stale_candidates).
SELECT
    CAST(cs.source_widget_id AS TEXT) AS widget_id,
    CAST(cs.candidate_id AS TEXT) AS candidate_id,
    c.title,
    cs.status,
    cs.created_at,
    cs.stalled_since,
    CAST(EXTRACT(EPOCH FROM (cs.as_of - cs.created_at)) / 86400.0 AS DOUBLE PRECISION) AS age_days,
    cs.created_at < cs.as_of - INTERVAL '1 day' * :candidate_threshold_days AS stale,
    cs.as_of
FROM candidate_status AS cs
JOIN requirement_candidates AS c
    ON c.id = cs.candidate_id
WHERE cs.is_open
    AND cs.source_widget_id IN (SELECT widget_id FROM evidence_scope)
