-- changes, written by hand for one evaluation point T and the default settings: the
-- baseline `ihub metrics changes` on DuckDB is measured against (same rows). Each
-- deployment of [T - 90 d, T) past its 14 observing days scores its widgets and its
-- hub's control widgets as of deployed_at ('before') and 14 days later ('after').
WITH candidate_hub AS (
    SELECT c.id, c.created_at, w.hub_id
    FROM requirement_candidates AS c
    LEFT JOIN widgets AS w ON w.id = c.source_widget_id
),
deployments AS (
    SELECT
        d.id,
        d.version_ref,
        d.deployed_at,
        coalesce(rh.hub_id, ch.hub_id) AS hub_id,
        dr.title AS decision_title,
        d.deployed_at + INTERVAL 14 DAY > :as_of AS observing,
        -- lead time: from the earliest candidate behind the decision
        epoch(d.deployed_at) - epoch(least(
            CASE WHEN rh.created_at < :as_of THEN rh.created_at END,
            CASE WHEN ch.created_at < :as_of THEN ch.created_at END
        )) AS lead_seconds
    FROM deployment_records AS d
    LEFT JOIN decision_records AS dr ON dr.id = d.decision_id
    LEFT JOIN requirements AS r ON r.id = dr.requirement_id
    LEFT JOIN candidate_hub AS rh ON rh.id = r.source_candidate_id
    LEFT JOIN candidate_hub AS ch ON ch.id = dr.candidate_id
    WHERE d.deployed_at >= :report_start AND d.deployed_at < :as_of
),
evaluation AS (
    SELECT
        ce.deployment_id,
        arg_max(ce.score, (ce.evaluated_at, ce.id)) AS score,
        max(ce.evaluated_at) AS evaluated_at
    FROM change_evaluations AS ce
    WHERE ce.evaluated_at < :as_of
    GROUP BY ce.deployment_id
),
links AS (
    SELECT DISTINCT s.deployment_id, s.widget_id
    FROM outcome_signals AS s
    WHERE s.observed_at < :as_of
),
subjects AS (
    -- the deployment's own widgets ('changed') and its hub's widgets not linked to any
    -- deployment within 14 days of it ('control'), existing when it was deployed
    SELECT d.id AS deployment_id, d.deployed_at, w.id AS widget_id,
        CASE WHEN own.widget_id IS NOT NULL THEN 'changed' ELSE 'control' END AS role
    FROM deployments AS d
    JOIN widgets AS w ON w.created_at < d.deployed_at
    LEFT JOIN links AS own ON own.deployment_id = d.id AND own.widget_id = w.id
    WHERE NOT d.observing
        AND (
            own.widget_id IS NOT NULL
            OR (
                w.hub_id = d.hub_id
                AND NOT EXISTS (
                    SELECT 1
                    FROM deployment_records AS d2
                    JOIN links AS l2 ON l2.deployment_id = d2.id
                    WHERE l2.widget_id = w.id
                        AND d2.deployed_at >= d.deployed_at - INTERVAL 14 DAY
                        AND d2.deployed_at <= d.deployed_at + INTERVAL 14 DAY
                        AND d2.deployed_at < :as_of
                )
            )
        )
),
points AS (
    -- each subject as of deployed_at (window: the 14 days before) and 14 days later
    -- (window: the 14 days after)
    SELECT s.*, 'before' AS side, s.deployed_at AS as_of,
        s.deployed_at - INTERVAL 14 DAY AS window_start
    FROM subjects AS s
    UNION ALL
    SELECT s.*, 'after', s.deployed_at + INTERVAL 14 DAY, s.deployed_at
    FROM subjects AS s
),
activity AS (
    -- events of each subject in the 14 days before and after its deployment, in one pass
    SELECT
        s.deployment_id,
        s.widget_id,
        count(*) FILTER (WHERE e.occurred_at < s.deployed_at) AS before_events,
        count(*) FILTER (WHERE e.occurred_at < s.deployed_at
            AND e.event_type IN ('error', 'validation_error')) AS before_errors,
        count(*) FILTER (WHERE e.occurred_at >= s.deployed_at) AS after_events,
        count(*) FILTER (WHERE e.occurred_at >= s.deployed_at
            AND e.event_type IN ('error', 'validation_error')) AS after_errors
    FROM subjects AS s
    JOIN interaction_events AS e
        ON e.widget_id = s.widget_id
        AND e.occurred_at >= s.deployed_at - INTERVAL 14 DAY
        AND e.occurred_at < s.deployed_at + INTERVAL 14 DAY
        AND e.occurred_at >= :report_start - INTERVAL 14 DAY
        AND e.occurred_at < :as_of
    GROUP BY s.deployment_id, s.widget_id
),
annotated AS (
    SELECT
        p.deployment_id,
        p.widget_id,
        p.side,
        sum(CASE a.severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 4
            WHEN 'critical' THEN 8 ELSE 2 END) AS weight
    FROM points AS p
    JOIN annotations AS a
        ON a.widget_id = p.widget_id
        AND a.created_at >= p.window_start AND a.created_at < p.as_of
        AND (a.retracted_at IS NULL OR a.retracted_at >= p.as_of)
    WHERE a.category <> 'praise'
    GROUP BY ALL
),
point_links AS (
    -- deployments in a point's window linked to its widget by a signal observed before it
    SELECT DISTINCT p.deployment_id, p.widget_id, p.side, p.as_of, d2.id AS linked_id,
        d2.deployed_at AS linked_at
    FROM points AS p
    JOIN outcome_signals AS s ON s.widget_id = p.widget_id AND s.observed_at < p.as_of
    JOIN deployment_records AS d2
        ON d2.id = s.deployment_id
        AND d2.deployed_at >= p.window_start AND d2.deployed_at < p.as_of
),
regressed AS (
    SELECT
        pl.deployment_id,
        pl.widget_id,
        pl.side,
        bool_or(
            EXISTS (
                SELECT 1 FROM change_evaluations AS ce
                WHERE ce.deployment_id = pl.linked_id
                    AND ce.evaluated_at < pl.as_of AND ce.score <= 2
            )
            OR (
                pl.after_errors >= 3
                AND pl.after_errors * greatest(pl.before_events, 20)
                    > 1.5 * pl.before_errors * greatest(pl.after_events, 20)
            )
        ) AS flag
    FROM (
        SELECT
            pl.deployment_id, pl.widget_id, pl.side, pl.as_of, pl.linked_id,
            count(e.occurred_at) FILTER (WHERE e.occurred_at < pl.linked_at) AS before_events,
            count(e.occurred_at) FILTER (WHERE e.occurred_at < pl.linked_at
                AND e.event_type IN ('error', 'validation_error')) AS before_errors,
            count(e.occurred_at) FILTER (WHERE e.occurred_at >= pl.linked_at) AS after_events,
            count(e.occurred_at) FILTER (WHERE e.occurred_at >= pl.linked_at
                AND e.event_type IN ('error', 'validation_error')) AS after_errors
        FROM point_links AS pl
        LEFT JOIN interaction_events AS e
            ON e.widget_id = pl.widget_id
            AND e.occurred_at >= pl.linked_at - INTERVAL 14 DAY
            AND e.occurred_at < least(pl.linked_at + INTERVAL 14 DAY, pl.as_of)
            AND e.occurred_at >= :report_start - INTERVAL 28 DAY
            AND e.occurred_at < :as_of
        GROUP BY ALL
    ) AS pl
    GROUP BY pl.deployment_id, pl.widget_id, pl.side
),
candidate_at AS (
    -- candidates citing a subject widget, with their status as of each point
    SELECT
        p.deployment_id,
        p.widget_id,
        p.side,
        coalesce(
            arg_max(t.status,
                (t.changed_at,
                 t.status IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn'),
                 t.id))
                FILTER (WHERE t.changed_at < p.as_of),
            CASE WHEN bool_or(t.changed_at >= p.as_of) THEN 'open' ELSE c.status END
        ) AS status
    FROM points AS p
    JOIN requirement_candidates AS c
        ON c.source_widget_id = p.widget_id AND c.created_at < p.as_of - INTERVAL 30 DAY
    LEFT JOIN triage_states AS t ON t.candidate_id = c.id
    GROUP BY p.deployment_id, p.widget_id, p.side, c.id, c.status
),
stale AS (
    SELECT deployment_id, widget_id, side, count(*) AS n
    FROM candidate_at
    WHERE status NOT IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn')
    GROUP BY ALL
),
scores AS (
    SELECT
        p.deployment_id,
        p.widget_id,
        p.role,
        p.side,
        least(100, greatest(0, floor(
            least(40.0, 2.0 * coalesce(an.weight, 0))
            + least(30.0, 300.0 * coalesce(
                CASE p.side WHEN 'before' THEN ac.before_errors ELSE ac.after_errors END, 0)
                / greatest(coalesce(
                    CASE p.side WHEN 'before' THEN ac.before_events ELSE ac.after_events END, 0), 20))
            + CASE WHEN r.flag THEN 20.0 ELSE 0.0 END
            + least(10.0, 5.0 * coalesce(st.n, 0))
            + 0.5
        ))) AS score
    FROM points AS p
    LEFT JOIN activity AS ac ON ac.deployment_id = p.deployment_id AND ac.widget_id = p.widget_id
    LEFT JOIN annotated AS an
        ON an.deployment_id = p.deployment_id AND an.widget_id = p.widget_id AND an.side = p.side
    LEFT JOIN regressed AS r
        ON r.deployment_id = p.deployment_id AND r.widget_id = p.widget_id AND r.side = p.side
    LEFT JOIN stale AS st
        ON st.deployment_id = p.deployment_id AND st.widget_id = p.widget_id AND st.side = p.side
),
effects AS (
    SELECT
        deployment_id,
        avg(after - before) FILTER (WHERE role = 'changed') AS delta,
        avg(before) FILTER (WHERE role = 'changed') AS before_mean,
        avg(after) FILTER (WHERE role = 'changed') AS after_mean,
        count(*) FILTER (WHERE role = 'control') AS control_widgets,
        avg(after - before) FILTER (WHERE role = 'control') AS control_delta
    FROM (
        SELECT deployment_id, widget_id, role,
            max(score) FILTER (WHERE side = 'before') AS before,
            max(score) FILTER (WHERE side = 'after') AS after
        FROM scores
        GROUP BY ALL
    )
    GROUP BY deployment_id
),
judged AS (
    SELECT
        d.*,
        ev.score,
        ev.evaluated_at,
        (SELECT count(*) FROM links AS l WHERE l.deployment_id = d.id) AS widgets,
        ef.delta,
        ef.before_mean,
        ef.after_mean,
        ef.control_widgets,
        ef.control_delta
    FROM deployments AS d
    LEFT JOIN evaluation AS ev ON ev.deployment_id = d.id
    LEFT JOIN effects AS ef ON ef.deployment_id = d.id
),
verdicts AS (
    SELECT
        j.*,
        CASE
            WHEN j.widgets = 0 THEN 'no_widgets'
            WHEN j.observing THEN 'observing'
            WHEN j.delta IS NULL THEN 'no_widgets'
            WHEN j.delta <= -5 THEN 'improved'
            WHEN j.delta >= 5 THEN 'regressed'
            ELSE 'neutral'
        END AS verdict
    FROM judged AS j
)
SELECT
    CAST(v.id AS TEXT) AS deployment_id,
    coalesce(h.slug, 'unassigned') AS hub_slug,
    v.version_ref,
    v.deployed_at,
    v.score,
    v.widgets,
    CASE WHEN v.verdict IN ('improved', 'regressed', 'neutral') THEN v.delta END AS delta,
    v.verdict,
    CASE WHEN v.verdict IN ('improved', 'regressed', 'neutral') AND v.control_widgets > 0
        THEN v.delta - v.control_delta END AS did,
    v.lead_seconds / 86400.0 AS lead_time_days,
    v.decision_title,
    v.evaluated_at,
    CASE WHEN v.verdict IN ('improved', 'regressed', 'neutral') THEN v.before_mean END AS before_mean,
    CASE WHEN v.verdict IN ('improved', 'regressed', 'neutral') THEN v.after_mean END AS after_mean,
    coalesce(v.control_widgets, 0) AS control_widgets,
    CASE WHEN v.verdict IN ('improved', 'regressed', 'neutral') THEN v.control_delta END AS control_delta
FROM verdicts AS v
LEFT JOIN hubs AS h ON h.id = v.hub_id
