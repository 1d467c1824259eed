-- bottlenecks: stalled items with their hub, a title to recognise them by and,
-- for candidates, the reviewer assigned before T (reviewer_assignments -> users.name).
SELECT
    COALESCE(h.slug, 'unassigned') AS hub_slug,
    b.stage,
    b.subject_type,
    CAST(b.subject_id AS TEXT) AS subject_id,
    b.stalled_since,
    b.age_days,
    b.threshold_days,
    b.severity,
    b.as_of,
    b.ratio,
    COALESCE(c.title, r.title, d.title, dep.version_ref) AS title,
    u.name AS reviewer
FROM bottleneck_items AS b
LEFT JOIN hubs AS h
    ON h.id = b.hub_id
LEFT JOIN requirement_candidates AS c
    ON b.subject_type = 'requirement_candidates' AND c.id = b.subject_id
LEFT JOIN requirements AS r
    ON b.subject_type = 'requirements' AND r.id = b.subject_id
LEFT JOIN decision_records AS d
    ON b.subject_type = 'decision_records' AND d.id = b.subject_id
LEFT JOIN deployment_records AS dep
    ON b.subject_type = 'deployment_records' AND dep.id = b.subject_id
LEFT JOIN reviewer_assignments AS ra
    ON b.subject_type = 'requirement_candidates'
    AND ra.candidate_id = b.subject_id
    AND ra.assigned_at < b.as_of
LEFT JOIN users AS u
    ON u.id = ra.user_id
