-- funnel, written by hand for one evaluation point T and the default settings: the
-- baseline `ihub metrics funnel` on DuckDB is measured against (same rows).
WITH cohort AS (
    SELECT c.id, c.created_at, c.status, w.hub_id
    FROM requirement_candidates AS c
    LEFT JOIN widgets AS w ON w.id = c.source_widget_id
    WHERE c.created_at >= :cohort_start AND c.created_at < :as_of
),
triage AS (
    -- first non-open triage row before T; the status at T (latest row before T, closed
    -- wins ties, then larger id; none: 'open' if rows come later, else the column)
    SELECT
        t.candidate_id,
        min(t.changed_at) FILTER (WHERE t.status <> 'open' AND t.changed_at < :as_of) AS triaged_at,
        arg_max(
            t.status,
            (t.changed_at,
             t.status IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn'),
             t.id)
        ) FILTER (WHERE t.changed_at < :as_of) AS status_at,
        bool_or(t.changed_at >= :as_of) AS has_later
    FROM triage_states AS t
    GROUP BY t.candidate_id
),
requirement_of AS (
    SELECT r.id, r.source_candidate_id AS candidate_id, r.created_at
    FROM requirements AS r
    WHERE r.created_at < :as_of
),
decision_of AS (
    -- decisions before T on the candidate's requirements or on the candidate itself
    SELECT ro.candidate_id, d.id, d.decided_at
    FROM decision_records AS d
    JOIN requirement_of AS ro ON ro.id = d.requirement_id
    WHERE d.decided_at < :as_of
    UNION
    SELECT d.candidate_id, d.id, d.decided_at
    FROM decision_records AS d
    WHERE d.candidate_id IS NOT NULL AND d.decided_at < :as_of
),
deployment_of AS (
    SELECT DISTINCT dc.candidate_id, dep.id, dep.deployed_at
    FROM decision_of AS dc
    JOIN deployment_records AS dep ON dep.decision_id = dc.id AND dep.deployed_at < :as_of
),
stamps AS (
    SELECT
        k.id,
        k.hub_id,
        coalesce(tr.status_at, CASE WHEN tr.has_later THEN 'open' ELSE k.status END)
            IN ('rejected', 'duplicate', 'withdrawn') AS excluded_from_wip,
        k.created_at,
        tr.triaged_at,
        (SELECT min(ro.created_at) FROM requirement_of AS ro WHERE ro.candidate_id = k.id) AS accepted_at,
        (SELECT min(dc.decided_at) FROM decision_of AS dc WHERE dc.candidate_id = k.id) AS decided_at,
        (SELECT min(dp.deployed_at) FROM deployment_of AS dp WHERE dp.candidate_id = k.id) AS deployed_at,
        (SELECT min(ce.evaluated_at)
         FROM deployment_of AS dp
         JOIN change_evaluations AS ce ON ce.deployment_id = dp.id AND ce.evaluated_at < :as_of
         WHERE dp.candidate_id = k.id) AS evaluated_at
    FROM cohort AS k
    LEFT JOIN triage AS tr ON tr.candidate_id = k.id
),
per_step AS (
    -- one row per candidate and step: has it reached the step, is it waiting for it,
    -- and the days from the previous step's timestamp
    SELECT
        s.id,
        s.hub_id,
        st.step_index,
        st.step,
        CASE
            WHEN s.evaluated_at IS NOT NULL THEN 6
            WHEN s.deployed_at IS NOT NULL THEN 5
            WHEN s.decided_at IS NOT NULL THEN 4
            WHEN s.accepted_at IS NOT NULL THEN 3
            WHEN s.triaged_at IS NOT NULL THEN 2
            ELSE 1
        END AS furthest,
        s.excluded_from_wip,
        epoch(CASE st.step_index
            WHEN 2 THEN s.triaged_at - s.created_at
            WHEN 3 THEN s.accepted_at - s.triaged_at
            WHEN 4 THEN s.decided_at - s.accepted_at
            WHEN 5 THEN s.deployed_at - s.decided_at
            WHEN 6 THEN s.evaluated_at - s.deployed_at
        END) / 86400.0 AS days
    FROM stamps AS s
    CROSS JOIN (VALUES (1, 'created'), (2, 'triaged'), (3, 'accepted'),
                       (4, 'decided'), (5, 'deployed'), (6, 'evaluated')) AS st (step_index, step)
),
counted AS (
    -- per hub and for 'all' at once
    SELECT
        CASE WHEN grouping(ps.hub_id) = 1 THEN 'all' ELSE h.slug END AS hub_slug,
        ps.step_index,
        count(*) FILTER (WHERE ps.furthest >= ps.step_index) AS reached,
        count(*) FILTER (WHERE ps.furthest = ps.step_index - 1 AND NOT ps.excluded_from_wip) AS wip,
        quantile_cont(ps.days, 0.5) AS p50_days,
        quantile_cont(ps.days, 0.9) AS p90_days
    FROM per_step AS ps
    LEFT JOIN hubs AS h ON h.id = ps.hub_id AND h.created_at < :as_of
    GROUP BY GROUPING SETS ((ps.hub_id, h.slug, ps.step_index), (ps.step_index))
),
grid AS (
    SELECT sc.hub_slug, st.step_index, st.step
    FROM (SELECT slug AS hub_slug FROM hubs WHERE created_at < :as_of UNION ALL SELECT 'all') AS sc
    CROSS JOIN (VALUES (1, 'created'), (2, 'triaged'), (3, 'accepted'),
                       (4, 'decided'), (5, 'deployed'), (6, 'evaluated')) AS st (step_index, step)
)
SELECT
    g.hub_slug,
    g.step,
    coalesce(c.reached, 0) AS reached,
    CASE
        WHEN g.step_index = 1 THEN 1.0
        ELSE coalesce(c.reached, 0) / nullif(lag(coalesce(c.reached, 0)) OVER w, 0)
    END AS conversion,
    c.p50_days,
    c.p90_days,
    CASE WHEN g.step_index > 1 THEN coalesce(c.wip, 0) END AS wip,
    g.step_index
FROM grid AS g
LEFT JOIN counted AS c ON c.hub_slug = g.hub_slug AND c.step_index = g.step_index
WINDOW w AS (PARTITION BY g.hub_slug ORDER BY g.step_index)
