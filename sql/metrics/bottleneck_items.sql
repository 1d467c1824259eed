-- bottleneck_items: open pipeline items stalled past their stage threshold at each point.
--   candidate   - open at T, waiting for a triage outcome; since its latest triage row
--   requirement - status in open_requirement_statuses, no decision before T; since created_at
--   decision    - outcome in implementing_outcomes, no deployment before T; since decided_at
--   observation - deployed, no change evaluation before T; since deployed_at
-- A bottleneck when age_days > threshold_days; severity by age / threshold.
WITH open_items AS (
    SELECT
        cs.point_id,
        'candidate' AS stage,
        'requirement_candidates' AS subject_type,
        cs.candidate_id AS subject_id,
        cs.stalled_since
    FROM candidate_status AS cs
    WHERE cs.is_open
    UNION ALL
    SELECT
        p.point_id,
        'requirement' AS stage,
        'requirements' AS subject_type,
        r.id AS subject_id,
        r.created_at AS stalled_since
    FROM eval_points AS p
    JOIN requirements AS r
        ON r.created_at < p.as_of
    WHERE r.status IN (SELECT status FROM open_requirement_statuses)
        AND NOT EXISTS (
            SELECT 1
            FROM decision_records AS d
            WHERE d.requirement_id = r.id AND d.decided_at < p.as_of
        )
    UNION ALL
    SELECT
        p.point_id,
        'decision' AS stage,
        'decision_records' AS subject_type,
        d.id AS subject_id,
        d.decided_at AS stalled_since
    FROM eval_points AS p
    JOIN decision_records AS d
        ON d.decided_at < p.as_of
    WHERE d.outcome IN (SELECT outcome FROM implementing_outcomes)
        AND NOT EXISTS (
            SELECT 1
            FROM deployment_records AS dep
            WHERE dep.decision_id = d.id AND dep.deployed_at < p.as_of
        )
    UNION ALL
    SELECT
        p.point_id,
        'observation' AS stage,
        'deployment_records' AS subject_type,
        dep.id AS subject_id,
        dep.deployed_at AS stalled_since
    FROM eval_points AS p
    JOIN deployment_records AS dep
        ON dep.deployed_at < p.as_of
    WHERE NOT EXISTS (
        SELECT 1
        FROM change_evaluations AS ce
        WHERE ce.deployment_id = dep.id AND ce.evaluated_at < p.as_of
    )
),
aged AS (
    SELECT
        o.*,
        p.as_of,
        EXTRACT(EPOCH FROM (p.as_of - o.stalled_since)) / 86400.0 AS age_days,
        st.threshold_days
    FROM open_items AS o
    JOIN eval_points AS p
        ON p.point_id = o.point_id
    JOIN stage_thresholds AS st
        ON st.stage = o.stage
)
SELECT
    a.point_id,
    a.as_of,
    a.stage,
    a.subject_type,
    a.subject_id,
    a.stalled_since,
    CAST(a.age_days AS DOUBLE PRECISION) AS age_days,
    a.threshold_days,
    CAST(a.age_days / a.threshold_days AS DOUBLE PRECISION) AS ratio,
    CASE
        WHEN a.age_days >= :severity_critical_ratio * a.threshold_days THEN 'critical'
        WHEN a.age_days >= :severity_high_ratio * a.threshold_days THEN 'high'
        WHEN a.age_days >= :severity_medium_ratio * a.threshold_days THEN 'medium'
        ELSE 'low'
    END AS severity,
    ph.hub_id
FROM aged AS a
LEFT JOIN pipeline_hubs AS ph
    ON ph.subject_type = a.subject_type AND ph.subject_id = a.subject_id
WHERE a.age_days > a.threshold_days
