-- funnel: per hub (and 'all'), per step: candidates that reached the step (have its
-- timestamp or a later one), conversion from the previous step, p50/p90 days from the
-- previous step's timestamp over candidates with both, and WIP - candidates whose
-- furthest step is the previous one, leaving out those whose status at T is in
-- wip_excluded_statuses.
WITH steps (step_index, step) AS (
    VALUES (1, 'created'), (2, 'triaged'), (3, 'accepted'),
           (4, 'decided'), (5, 'deployed'), (6, 'evaluated')
),
candidate_steps AS (
    SELECT
        fc.candidate_id,
        fc.hub_id,
        fc.furthest_step,
        fc.status_at IN (SELECT status FROM wip_excluded_statuses) AS excluded_from_wip,
        s.step_index,
        s.step,
        EXTRACT(EPOCH FROM (
            CASE s.step_index
                WHEN 2 THEN fc.triaged_at - fc.created_at
                WHEN 3 THEN fc.accepted_at - fc.triaged_at
                WHEN 4 THEN fc.decided_at - fc.accepted_at
                WHEN 5 THEN fc.deployed_at - fc.decided_at
                WHEN 6 THEN fc.evaluated_at - fc.deployed_at
            END
        )) / 86400.0 AS step_days
    FROM funnel_candidates AS fc
    CROSS JOIN steps AS s
),
scoped AS (
    SELECT sc.hub_slug, cs.*
    FROM candidate_steps AS cs
    JOIN hub_scopes AS sc
        ON sc.hub_id = cs.hub_id
    UNION ALL
    SELECT 'all' AS hub_slug, cs.*
    FROM candidate_steps AS cs
),
aggregated AS (
    SELECT
        hub_slug,
        step_index,
        count(*) FILTER (WHERE furthest_step >= step_index) AS reached,
        count(*) FILTER (WHERE furthest_step = step_index - 1 AND NOT COALESCE(excluded_from_wip, FALSE)) AS wip,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY step_days) AS p50_days,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY step_days) AS p90_days
    FROM scoped
    GROUP BY hub_slug, step_index
),
grid AS (
    SELECT
        sc.hub_slug,
        s.step_index,
        s.step,
        CAST(COALESCE(a.reached, 0) AS BIGINT) AS reached,
        CASE WHEN s.step_index = 1 THEN NULL ELSE CAST(COALESCE(a.wip, 0) AS BIGINT) END AS wip,
        CAST(a.p50_days AS DOUBLE PRECISION) AS p50_days,
        CAST(a.p90_days AS DOUBLE PRECISION) AS p90_days
    FROM hub_scopes AS sc
    CROSS JOIN steps AS s
    LEFT JOIN aggregated AS a
        ON a.hub_slug = sc.hub_slug AND a.step_index = s.step_index
)
SELECT
    g.hub_slug,
    g.step,
    g.reached,
    CASE
        WHEN g.step_index = 1 THEN CAST(1.0 AS DOUBLE PRECISION)
        WHEN lag(g.reached) OVER w = 0 THEN NULL
        ELSE CAST(g.reached AS DOUBLE PRECISION) / lag(g.reached) OVER w
    END AS conversion,
    g.p50_days,
    g.p90_days,
    g.wip,
    :as_of AS as_of,
    g.step_index
FROM grid AS g
WINDOW w AS (PARTITION BY g.hub_slug ORDER BY g.step_index)
