-- funnel_candidates: the cohort (candidates created in [T - cohort_days, T)) with the
-- timestamp of each funnel step; a step counts only if its timestamp is < T.
--   triaged   - earliest triage row whose status is not 'open'
--   accepted  - earliest requirement promoted from the candidate
--   decided   - earliest decision on one of those requirements or on the candidate
--   deployed  - earliest deployment of one of those decisions
--   evaluated - earliest change evaluation of one of those deployments
-- furthest_step: the index of the furthest step with a timestamp (1 = created).
WITH cohort AS (
    SELECT c.id AS candidate_id, c.created_at, w.hub_id
    FROM requirement_candidates AS c
    LEFT JOIN widgets AS w
        ON w.id = c.source_widget_id
    WHERE c.created_at >= :cohort_start
        AND c.created_at < :as_of
),
triaged AS (
    SELECT t.candidate_id, min(t.changed_at) AS at
    FROM triage_states AS t
    WHERE t.status <> 'open' AND t.changed_at < :as_of
    GROUP BY t.candidate_id
),
candidate_requirements AS (
    SELECT r.id AS requirement_id, r.source_candidate_id AS candidate_id, r.created_at
    FROM requirements AS r
    WHERE r.created_at < :as_of
),
accepted AS (
    SELECT candidate_id, min(created_at) AS at
    FROM candidate_requirements
    GROUP BY candidate_id
),
candidate_decisions AS (
    SELECT cr.candidate_id, d.id AS decision_id, d.decided_at
    FROM decision_records AS d
    JOIN candidate_requirements AS cr
        ON cr.requirement_id = d.requirement_id
    WHERE d.decided_at < :as_of
    UNION
    SELECT d.candidate_id, d.id AS decision_id, d.decided_at
    FROM decision_records AS d
    WHERE d.candidate_id IS NOT NULL AND d.decided_at < :as_of
),
decided AS (
    SELECT candidate_id, min(decided_at) AS at
    FROM candidate_decisions
    GROUP BY candidate_id
),
candidate_deployments AS (
    SELECT DISTINCT cd.candidate_id, dep.id AS deployment_id, dep.deployed_at
    FROM candidate_decisions AS cd
    JOIN deployment_records AS dep
        ON dep.decision_id = cd.decision_id
    WHERE dep.deployed_at < :as_of
),
deployed AS (
    SELECT candidate_id, min(deployed_at) AS at
    FROM candidate_deployments
    GROUP BY candidate_id
),
evaluated AS (
    SELECT cdp.candidate_id, min(ce.evaluated_at) AS at
    FROM candidate_deployments AS cdp
    JOIN change_evaluations AS ce
        ON ce.deployment_id = cdp.deployment_id
    WHERE ce.evaluated_at < :as_of
    GROUP BY cdp.candidate_id
)
SELECT
    k.candidate_id,
    k.hub_id,
    cs.status AS status_at,
    k.created_at,
    tr.at AS triaged_at,
    ac.at AS accepted_at,
    de.at AS decided_at,
    dp.at AS deployed_at,
    ev.at AS evaluated_at,
    CASE
        WHEN ev.at IS NOT NULL THEN 6
        WHEN dp.at IS NOT NULL THEN 5
        WHEN de.at IS NOT NULL THEN 4
        WHEN ac.at IS NOT NULL THEN 3
        WHEN tr.at IS NOT NULL THEN 2
        ELSE 1
    END AS furthest_step
FROM cohort AS k
LEFT JOIN candidate_status AS cs
    ON cs.candidate_id = k.candidate_id
LEFT JOIN triaged AS tr
    ON tr.candidate_id = k.candidate_id
LEFT JOIN accepted AS ac
    ON ac.candidate_id = k.candidate_id
LEFT JOIN decided AS de
    ON de.candidate_id = k.candidate_id
LEFT JOIN deployed AS dp
    ON dp.candidate_id = k.candidate_id
LEFT JOIN evaluated AS ev
    ON ev.candidate_id = k.candidate_id
