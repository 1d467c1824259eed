-- bottlenecks, written by hand for one evaluation point T and the default settings: the
-- baseline `ihub metrics bottlenecks` on DuckDB is measured against (same rows).
WITH triage_at_t AS (
    -- per candidate: its latest triage row before T (closed wins ties, then larger id),
    -- and whether it has rows at or after T
    SELECT
        t.candidate_id,
        arg_max(
            t.status,
            (t.changed_at,
             t.status IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn'),
             t.id)
        ) FILTER (WHERE t.changed_at < :as_of) AS status,
        max(t.changed_at) FILTER (WHERE t.changed_at < :as_of) AS changed_at,
        bool_or(t.changed_at >= :as_of) AS has_later
    FROM triage_states AS t
    GROUP BY t.candidate_id
),
candidate_hub AS (
    SELECT c.id, w.hub_id
    FROM requirement_candidates AS c
    LEFT JOIN widgets AS w ON w.id = c.source_widget_id
),
decision_hub AS (
    SELECT d.id, coalesce(rc.hub_id, dc.hub_id) AS hub_id
    FROM decision_records AS d
    LEFT JOIN requirements AS r ON r.id = d.requirement_id
    LEFT JOIN candidate_hub AS rc ON rc.id = r.source_candidate_id
    LEFT JOIN candidate_hub AS dc ON dc.id = d.candidate_id
),
stalled AS (
    SELECT
        'candidate' AS stage, 'requirement_candidates' AS subject_type, c.id AS subject_id,
        coalesce(tr.changed_at, c.created_at) AS stalled_since, :candidate_threshold_days AS threshold_days,
        ch.hub_id, c.title
    FROM requirement_candidates AS c
    LEFT JOIN triage_at_t AS tr ON tr.candidate_id = c.id
    LEFT JOIN candidate_hub AS ch ON ch.id = c.id
    WHERE c.created_at < :as_of
        AND coalesce(tr.status, CASE WHEN tr.has_later THEN 'open' ELSE c.status END)
            NOT IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn')
    UNION ALL
    SELECT
        'requirement', 'requirements', r.id, r.created_at, :requirement_threshold_days,
        ch.hub_id, r.title
    FROM requirements AS r
    LEFT JOIN candidate_hub AS ch ON ch.id = r.source_candidate_id
    WHERE r.created_at < :as_of AND r.status = 'active'
        AND NOT EXISTS (
            SELECT 1 FROM decision_records AS d
            WHERE d.requirement_id = r.id AND d.decided_at < :as_of
        )
    UNION ALL
    SELECT
        'decision', 'decision_records', d.id, d.decided_at, :decision_threshold_days,
        dh.hub_id, d.title
    FROM decision_records AS d
    LEFT JOIN decision_hub AS dh ON dh.id = d.id
    WHERE d.decided_at < :as_of AND d.outcome = 'approved'
        AND NOT EXISTS (
            SELECT 1 FROM deployment_records AS dep
            WHERE dep.decision_id = d.id AND dep.deployed_at < :as_of
        )
    UNION ALL
    SELECT
        'observation', 'deployment_records', dep.id, dep.deployed_at, :observation_threshold_days,
        dh.hub_id, dep.version_ref
    FROM deployment_records AS dep
    LEFT JOIN decision_hub AS dh ON dh.id = dep.decision_id
    WHERE dep.deployed_at < :as_of
        AND NOT EXISTS (
            SELECT 1 FROM change_evaluations AS ce
            WHERE ce.deployment_id = dep.id AND ce.evaluated_at < :as_of
        )
),
aged AS (
    SELECT s.*, epoch(:as_of - s.stalled_since) / 86400.0 AS age_days
    FROM stalled AS s
)
SELECT
    coalesce(h.slug, 'unassigned') AS hub_slug,
    a.stage,
    a.subject_type,
    CAST(a.subject_id AS TEXT) AS subject_id,
    a.stalled_since,
    a.age_days,
    a.threshold_days,
    CASE
        WHEN a.age_days >= 4 * a.threshold_days THEN 'critical'
        WHEN a.age_days >= 2 * a.threshold_days THEN 'high'
        WHEN a.age_days >= 1.5 * a.threshold_days THEN 'medium'
        ELSE 'low'
    END AS severity,
    a.age_days / a.threshold_days AS ratio,
    a.title,
    u.name AS reviewer
FROM aged AS a
LEFT JOIN hubs AS h ON h.id = a.hub_id
LEFT JOIN reviewer_assignments AS ra
    ON a.stage = 'candidate' AND ra.candidate_id = a.subject_id AND ra.assigned_at < :as_of
LEFT JOIN users AS u ON u.id = ra.user_id
WHERE a.age_days > a.threshold_days
