-- health, written by hand for one evaluation point T and the default settings: the
-- baseline `ihub metrics health` on DuckDB is measured against (same rows).
WITH scored_widgets AS (
    SELECT w.id, w.hub_id
    FROM widgets AS w
    WHERE w.created_at < :as_of
),
activity AS (
    SELECT
        e.widget_id,
        count(*) AS events,
        count(*) FILTER (WHERE e.event_type IN ('error', 'validation_error')) AS errors
    FROM interaction_events AS e
    WHERE e.occurred_at >= :window_start AND e.occurred_at < :as_of
    GROUP BY e.widget_id
),
links AS (
    SELECT DISTINCT sw.id AS widget_id, d.id AS deployment_id, d.deployed_at
    FROM scored_widgets AS sw
    JOIN outcome_signals AS s ON s.widget_id = sw.id AND s.observed_at < :as_of
    JOIN deployment_records AS d
        ON d.id = s.deployment_id AND d.deployed_at >= :window_start AND d.deployed_at < :as_of
),
around AS (
    SELECT
        l.widget_id,
        l.deployment_id,
        count(*) FILTER (WHERE e.occurred_at < l.deployed_at) AS before_events,
        count(*) FILTER (
            WHERE e.occurred_at < l.deployed_at AND e.event_type IN ('error', 'validation_error')
        ) AS before_errors,
        count(*) FILTER (WHERE e.occurred_at >= l.deployed_at) AS after_events,
        count(*) FILTER (
            WHERE e.occurred_at >= l.deployed_at AND e.event_type IN ('error', 'validation_error')
        ) AS after_errors
    FROM links AS l
    LEFT JOIN interaction_events AS e
        ON e.widget_id = l.widget_id
        AND e.occurred_at >= l.deployed_at - INTERVAL 14 DAY
        AND e.occurred_at < least(l.deployed_at + INTERVAL 14 DAY, :as_of)
        AND e.occurred_at >= :window_start - INTERVAL 14 DAY
        AND e.occurred_at < :as_of
    GROUP BY l.widget_id, l.deployment_id
),
regressed AS (
    SELECT
        a.widget_id,
        bool_or(
            EXISTS (
                SELECT 1 FROM change_evaluations AS ce
                WHERE ce.deployment_id = a.deployment_id
                    AND ce.evaluated_at < :as_of AND ce.score <= 2
            )
            OR (
                a.after_errors >= 3
                AND a.after_errors * greatest(a.before_events, 20)
                    > 1.5 * a.before_errors * greatest(a.after_events, 20)
            )
        ) AS flag
    FROM around AS a
    GROUP BY a.widget_id
),
annotated AS (
    SELECT
        a.widget_id,
        sum(CASE a.severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 4
            WHEN 'critical' THEN 8 ELSE 2 END) AS weight
    FROM annotations AS a
    WHERE a.created_at >= :window_start AND a.created_at < :as_of
        AND a.category <> 'praise'
        AND (a.retracted_at IS NULL OR a.retracted_at >= :as_of)
    GROUP BY a.widget_id
),
triage_at_t AS (
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
open_candidates AS (
    SELECT c.id, c.source_widget_id, c.created_at, coalesce(tr.changed_at, c.created_at) AS stalled_since
    FROM requirement_candidates AS c
    LEFT JOIN triage_at_t AS tr ON tr.candidate_id = c.id
    WHERE c.created_at < :as_of
        AND coalesce(tr.status, CASE WHEN tr.has_later THEN 'open' ELSE c.status END)
            NOT IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn')
),
stale AS (
    SELECT source_widget_id AS widget_id, count(*) AS n
    FROM open_candidates
    WHERE created_at < :as_of - INTERVAL 30 DAY
    GROUP BY source_widget_id
),
widget_scores AS (
    SELECT
        sw.hub_id,
        coalesce(r.flag, FALSE) AS regressed,
        floor(
            least(40.0, 2.0 * coalesce(an.weight, 0))
            + least(30.0, 300.0 * coalesce(ac.errors, 0) / greatest(coalesce(ac.events, 0), 20))
            + CASE WHEN r.flag THEN 20.0 ELSE 0.0 END
            + least(10.0, 5.0 * coalesce(st.n, 0))
            + 0.5
        ) AS score
    FROM scored_widgets AS sw
    LEFT JOIN activity AS ac ON ac.widget_id = sw.id
    LEFT JOIN annotated AS an ON an.widget_id = sw.id
    LEFT JOIN regressed AS r ON r.widget_id = sw.id
    LEFT JOIN stale AS st ON st.widget_id = sw.id
),
candidate_hub AS (
    SELECT c.id, w.hub_id
    FROM requirement_candidates AS c
    JOIN widgets AS w ON w.id = c.source_widget_id
),
decision_hub AS (
    SELECT d.id, coalesce(rc.hub_id, dc.hub_id) AS hub_id
    FROM decision_records AS d
    LEFT JOIN requirements AS r ON r.id = d.requirement_id
    LEFT JOIN candidate_hub AS rc ON rc.id = r.source_candidate_id
    LEFT JOIN candidate_hub AS dc ON dc.id = d.candidate_id
),
bottlenecks AS (
    -- stalled items past their stage threshold, with their hub
    SELECT 'candidate' AS stage, ch.hub_id
    FROM open_candidates AS oc
    JOIN candidate_hub AS ch ON ch.id = oc.id
    WHERE epoch(:as_of - oc.stalled_since) > 86400.0 * :candidate_threshold_days
    UNION ALL
    SELECT 'requirement', ch.hub_id
    FROM requirements AS r
    JOIN candidate_hub AS ch ON ch.id = r.source_candidate_id
    WHERE r.created_at < :as_of AND r.status = 'active'
        AND epoch(:as_of - r.created_at) > 86400.0 * :requirement_threshold_days
        AND NOT EXISTS (
            SELECT 1 FROM decision_records AS d
            WHERE d.requirement_id = r.id AND d.decided_at < :as_of
        )
    UNION ALL
    SELECT 'decision', dh.hub_id
    FROM decision_records AS d
    JOIN decision_hub AS dh ON dh.id = d.id
    WHERE d.decided_at < :as_of AND d.outcome = 'approved'
        AND epoch(:as_of - d.decided_at) > 86400.0 * :decision_threshold_days
        AND NOT EXISTS (
            SELECT 1 FROM deployment_records AS dep
            WHERE dep.decision_id = d.id AND dep.deployed_at < :as_of
        )
    UNION ALL
    SELECT 'observation', dh.hub_id
    FROM deployment_records AS dep
    JOIN decision_hub AS dh ON dh.id = dep.decision_id
    WHERE dep.deployed_at < :as_of
        AND epoch(:as_of - dep.deployed_at) > 86400.0 * :observation_threshold_days
        AND NOT EXISTS (
            SELECT 1 FROM change_evaluations AS ce
            WHERE ce.deployment_id = dep.id AND ce.evaluated_at < :as_of
        )
),
counts AS (
    SELECT
        h.slug AS hub_slug,
        h.name AS hub_name,
        (SELECT count(*) FROM open_candidates AS oc JOIN candidate_hub AS ch ON ch.id = oc.id
         WHERE ch.hub_id = h.id) AS open_candidates,
        (SELECT count(*) FILTER (WHERE ws.regressed) FROM widget_scores AS ws
         WHERE ws.hub_id = h.id) AS regressed_widgets,
        (SELECT count(*) FILTER (WHERE b.stage = 'decision') FROM bottlenecks AS b
         WHERE b.hub_id = h.id) AS stale_decisions,
        (SELECT count(*) FROM bottlenecks AS b WHERE b.hub_id = h.id) AS active_bottlenecks,
        (SELECT count(*) FILTER (WHERE ws.score >= 75) FROM widget_scores AS ws
         WHERE ws.hub_id = h.id) AS red_widgets
    FROM hubs AS h
    WHERE h.created_at < :as_of
),
scored AS (
    SELECT
        c.*,
        100 - least(20, 2 * c.open_candidates) - least(30, 10 * c.regressed_widgets)
            - least(20, 5 * c.stale_decisions) - least(15, 3 * c.active_bottlenecks)
            - least(15, 5 * c.red_widgets) AS health_score
    FROM counts AS c
)
SELECT
    s.hub_slug,
    s.health_score,
    CASE WHEN s.health_score >= 80 THEN 'healthy' WHEN s.health_score >= 60 THEN 'watch'
        ELSE 'at_risk' END AS band,
    s.open_candidates,
    s.regressed_widgets,
    s.stale_decisions,
    s.active_bottlenecks,
    s.red_widgets,
    s.hub_name
FROM scored AS s
