-- propagation, written by hand for one evaluation point T and the default settings: the
-- baseline `ihub metrics propagation` on DuckDB is measured against (same rows).
WITH scored_widgets AS (
    SELECT w.id, w.hub_id, w.name, w.widget_type
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
        count(*) AS n,
        sum(CASE a.severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 4
            WHEN 'critical' THEN 8 ELSE 2 END) AS weight
    FROM annotations AS a
    WHERE a.created_at >= :window_start AND a.created_at < :as_of
        AND a.category <> 'praise'
        AND (a.retracted_at IS NULL OR a.retracted_at >= :as_of)
    GROUP BY a.widget_id
),
candidate_now AS (
    -- status at T: the latest triage row before T (closed wins ties, then larger id);
    -- none: 'open' if triage rows come later, else the candidate's own status
    SELECT
        c.source_widget_id,
        c.created_at,
        coalesce(
            (SELECT t.status FROM triage_states AS t
             WHERE t.candidate_id = c.id AND t.changed_at < :as_of
             ORDER BY t.changed_at DESC,
                 t.status IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn') DESC,
                 t.id DESC
             LIMIT 1),
            CASE WHEN EXISTS (
                SELECT 1 FROM triage_states AS t
                WHERE t.candidate_id = c.id AND t.changed_at >= :as_of
            ) THEN 'open' ELSE c.status END
        ) AS status
    FROM requirement_candidates AS c
    WHERE c.created_at < :as_of - INTERVAL 30 DAY
),
stale AS (
    SELECT source_widget_id AS widget_id, count(*) AS n
    FROM candidate_now
    WHERE status NOT IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn')
    GROUP BY source_widget_id
),
parts AS (
    SELECT
        sw.*,
        coalesce(ac.events, 0) AS events,
        coalesce(ac.errors, 0) AS errors,
        coalesce(an.n, 0) AS annotations,
        coalesce(r.flag, FALSE) AS regressed,
        coalesce(st.n, 0) AS stale,
        least(40.0, 2.0 * coalesce(an.weight, 0)) AS annotation_points,
        least(30.0, 300.0 * coalesce(ac.errors, 0) / greatest(coalesce(ac.events, 0), 20))
            AS error_points,
        CASE WHEN r.flag THEN 20.0 ELSE 0.0 END AS regression_points,
        least(10.0, 5.0 * coalesce(st.n, 0)) AS stale_points
    FROM scored_widgets AS sw
    LEFT JOIN activity AS ac ON ac.widget_id = sw.id
    LEFT JOIN annotated AS an ON an.widget_id = sw.id
    LEFT JOIN regressed AS r ON r.widget_id = sw.id
    LEFT JOIN stale AS st ON st.widget_id = sw.id
)
,
qualifying AS (
    -- annotation clusters: friction annotations of one category in the window, per hub
    SELECT 'annotation_cluster' AS pattern_type, a.category AS key, w.hub_id,
        CAST(count(*) AS DOUBLE) AS metric
    FROM annotations AS a
    JOIN widgets AS w ON w.id = a.widget_id
    WHERE a.created_at >= :window_start AND a.created_at < :as_of
        AND a.category <> 'praise'
        AND (a.retracted_at IS NULL OR a.retracted_at >= :as_of)
    GROUP BY a.category, w.hub_id
    HAVING count(*) >= 3
    UNION ALL
    -- painful widget types: mean friction score of a hub's widgets of one type
    SELECT 'widget_type_friction', p.widget_type, p.hub_id, avg(p.score)
    FROM (
        SELECT hub_id, widget_type, least(100, greatest(0, floor(
            annotation_points + error_points + regression_points + stale_points + 0.5))) AS score
        FROM parts
    ) AS p
    GROUP BY p.widget_type, p.hub_id
    HAVING count(*) >= 2 AND avg(p.score) >= 50
),
ranked AS (
    SELECT
        q.pattern_type, q.key, h.slug, q.metric,
        row_number() OVER (PARTITION BY q.pattern_type, q.key ORDER BY q.metric DESC, h.slug) AS rank,
        count(*) OVER (PARTITION BY q.pattern_type, q.key) AS hub_count
    FROM qualifying AS q
    JOIN hubs AS h ON h.id = q.hub_id
)
SELECT
    pattern_type,
    key,
    max(slug) FILTER (WHERE rank = 1) AS source_hub,
    string_agg(slug, ';' ORDER BY slug) FILTER (WHERE rank > 1) AS affected_hubs,
    max(metric) AS metric,
    hub_count
FROM ranked
WHERE hub_count >= 2
GROUP BY pattern_type, key, hub_count
