-- health-trend, written by hand for the default settings: hub health at T, T - 7 d, …,
-- T - 7 (weeks - 1) d, each as of its own date, beside the latest health score recorded
-- in the week before it. The baseline `ihub metrics health-trend --weeks 12` on DuckDB
-- is measured against (same rows).
WITH points AS (
    SELECT
        k AS weeks_before,
        :as_of - INTERVAL 1 DAY * (7 * k) AS as_of,
        :as_of - INTERVAL 1 DAY * (7 * k + :window_days) AS window_start
    FROM range(:weeks) AS r (k)
),
daily AS (
    -- events and errors per widget and day before T: the points' windows are whole days
    -- (epoch seconds: subtracting time-zone-aware timestamps is a calendar computation)
    SELECT
        e.widget_id,
        CAST(floor((epoch(e.occurred_at) - epoch(:as_of)) / 86400) AS INTEGER) AS day,
        count(*) AS events,
        count(*) FILTER (WHERE e.event_type IN ('error', 'validation_error')) AS errors
    FROM interaction_events AS e
    WHERE e.occurred_at >= :as_of - INTERVAL 1 DAY * (7 * (:weeks - 1) + :window_days)
        AND e.occurred_at < :as_of
    GROUP BY ALL
),
scored_widgets AS (
    SELECT p.weeks_before, p.as_of, p.window_start, w.id, w.hub_id
    FROM points AS p
    JOIN widgets AS w ON w.created_at < p.as_of
),
activity AS (
    SELECT sw.weeks_before, sw.id AS widget_id, sum(d.events) AS events, sum(d.errors) AS errors
    FROM scored_widgets AS sw
    JOIN daily AS d
        ON d.widget_id = sw.id
        AND d.day >= -7 * sw.weeks_before - :window_days
        AND d.day < -7 * sw.weeks_before
    GROUP BY ALL
),
links AS (
    SELECT DISTINCT sw.weeks_before, sw.as_of, sw.id AS widget_id, d.id AS deployment_id, d.deployed_at
    FROM scored_widgets AS sw
    JOIN outcome_signals AS s ON s.widget_id = sw.id AND s.observed_at < sw.as_of
    JOIN deployment_records AS d
        ON d.id = s.deployment_id AND d.deployed_at >= sw.window_start AND d.deployed_at < sw.as_of
),
surroundings AS (
    -- each linked deployment's 14 days before and after, counted once for all points:
    -- after-events per day before T, so each point can drop the days from it on
    SELECT
        l.widget_id,
        l.deployment_id,
        e.occurred_at >= l.deployed_at AS after,
        CAST(floor((epoch(e.occurred_at) - epoch(:as_of)) / 86400) AS INTEGER) AS day,
        count(*) AS events,
        count(*) FILTER (WHERE e.event_type IN ('error', 'validation_error')) AS errors
    FROM (SELECT DISTINCT widget_id, deployment_id, deployed_at FROM links) AS l
    JOIN interaction_events AS e
        ON e.widget_id = l.widget_id
        AND e.occurred_at >= l.deployed_at - INTERVAL 14 DAY
        AND e.occurred_at < l.deployed_at + INTERVAL 14 DAY
        AND e.occurred_at >= :as_of - INTERVAL 1 DAY * (7 * (:weeks - 1) + :window_days + 14)
        AND e.occurred_at < :as_of
    GROUP BY ALL
),
around AS (
    SELECT
        l.weeks_before,
        l.as_of,
        l.widget_id,
        l.deployment_id,
        coalesce(sum(s.events) FILTER (WHERE NOT s.after), 0) AS before_events,
        coalesce(sum(s.errors) FILTER (WHERE NOT s.after), 0) AS before_errors,
        coalesce(sum(s.events) FILTER (WHERE s.after AND s.day < -7 * l.weeks_before), 0) AS after_events,
        coalesce(sum(s.errors) FILTER (WHERE s.after AND s.day < -7 * l.weeks_before), 0) AS after_errors
    FROM links AS l
    LEFT JOIN surroundings AS s ON s.widget_id = l.widget_id AND s.deployment_id = l.deployment_id
    GROUP BY ALL
),
regressed AS (
    SELECT
        a.weeks_before,
        a.widget_id,
        bool_or(
            EXISTS (
                SELECT 1 FROM change_evaluations AS ce
                WHERE ce.deployment_id = a.deployment_id
                    AND ce.evaluated_at < a.as_of AND ce.score <= 2
            )
            OR (
                a.after_errors >= 3
                AND a.after_errors * greatest(a.before_events, 20)
                    > 1.5 * a.before_errors * greatest(a.after_events, 20)
            )
        ) AS flag
    FROM around AS a
    GROUP BY a.weeks_before, a.widget_id
),
annotated AS (
    SELECT
        p.weeks_before,
        a.widget_id,
        sum(CASE a.severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 4
            WHEN 'critical' THEN 8 ELSE 2 END) AS weight
    FROM points AS p
    JOIN annotations AS a
        ON a.created_at >= p.window_start AND a.created_at < p.as_of
        AND (a.retracted_at IS NULL OR a.retracted_at >= p.as_of)
    WHERE a.category <> 'praise'
    GROUP BY ALL
),
candidate_at AS (
    -- every candidate at every point: its status (latest triage row before the point,
    -- closed wins ties, then larger id; none: 'open' if rows come later, else the column)
    SELECT
        p.weeks_before,
        p.as_of,
        c.id,
        c.source_widget_id,
        c.created_at,
        coalesce(
            arg_max(t.status,
                (t.changed_at,
                 t.status IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn'),
                 t.id))
                FILTER (WHERE t.changed_at < p.as_of),
            CASE WHEN bool_or(t.changed_at >= p.as_of) THEN 'open' ELSE c.status END
        ) AS status,
        coalesce(max(t.changed_at) FILTER (WHERE t.changed_at < p.as_of), c.created_at) AS stalled_since
    FROM points AS p
    JOIN requirement_candidates AS c ON c.created_at < p.as_of
    LEFT JOIN triage_states AS t ON t.candidate_id = c.id
    GROUP BY p.weeks_before, p.as_of, c.id, c.source_widget_id, c.created_at, c.status
),
open_candidates AS (
    SELECT * FROM candidate_at
    WHERE status NOT IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn')
),
stale AS (
    SELECT weeks_before, source_widget_id AS widget_id, count(*) AS n
    FROM open_candidates
    WHERE created_at < as_of - INTERVAL 30 DAY
    GROUP BY ALL
),
widget_scores AS (
    SELECT
        sw.weeks_before,
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
    LEFT JOIN activity AS ac ON ac.weeks_before = sw.weeks_before AND ac.widget_id = sw.id
    LEFT JOIN annotated AS an ON an.weeks_before = sw.weeks_before AND an.widget_id = sw.id
    LEFT JOIN regressed AS r ON r.weeks_before = sw.weeks_before AND r.widget_id = sw.id
    LEFT JOIN stale AS st ON st.weeks_before = sw.weeks_before AND st.widget_id = sw.id
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
    -- stalled items past their stage threshold at each point, with their hub
    SELECT oc.weeks_before, 'candidate' AS stage, ch.hub_id
    FROM open_candidates AS oc
    JOIN candidate_hub AS ch ON ch.id = oc.id
    WHERE epoch(oc.as_of - oc.stalled_since) > 86400.0 * :candidate_threshold_days
    UNION ALL
    SELECT p.weeks_before, 'requirement', ch.hub_id
    FROM points AS p
    JOIN requirements AS r ON r.created_at < p.as_of
    JOIN candidate_hub AS ch ON ch.id = r.source_candidate_id
    WHERE r.status = 'active'
        AND epoch(p.as_of - r.created_at) > 86400.0 * :requirement_threshold_days
        AND NOT EXISTS (
            SELECT 1 FROM decision_records AS d
            WHERE d.requirement_id = r.id AND d.decided_at < p.as_of
        )
    UNION ALL
    SELECT p.weeks_before, 'decision', dh.hub_id
    FROM points AS p
    JOIN decision_records AS d ON d.decided_at < p.as_of
    JOIN decision_hub AS dh ON dh.id = d.id
    WHERE d.outcome = 'approved'
        AND epoch(p.as_of - d.decided_at) > 86400.0 * :decision_threshold_days
        AND NOT EXISTS (
            SELECT 1 FROM deployment_records AS dep
            WHERE dep.decision_id = d.id AND dep.deployed_at < p.as_of
        )
    UNION ALL
    SELECT p.weeks_before, 'observation', dh.hub_id
    FROM points AS p
    JOIN deployment_records AS dep ON dep.deployed_at < p.as_of
    JOIN decision_hub AS dh ON dh.id = dep.decision_id
    WHERE epoch(p.as_of - dep.deployed_at) > 86400.0 * :observation_threshold_days
        AND NOT EXISTS (
            SELECT 1 FROM change_evaluations AS ce
            WHERE ce.deployment_id = dep.id AND ce.evaluated_at < p.as_of
        )
),
counts AS (
    SELECT
        p.weeks_before,
        p.as_of,
        h.id AS hub_id,
        h.slug AS hub_slug,
        (SELECT count(*) FROM open_candidates AS oc JOIN candidate_hub AS ch ON ch.id = oc.id
         WHERE oc.weeks_before = p.weeks_before AND ch.hub_id = h.id) AS open_candidates,
        (SELECT count(*) FILTER (WHERE ws.regressed) FROM widget_scores AS ws
         WHERE ws.weeks_before = p.weeks_before AND ws.hub_id = h.id) AS regressed_widgets,
        (SELECT count(*) FILTER (WHERE b.stage = 'decision') FROM bottlenecks AS b
         WHERE b.weeks_before = p.weeks_before AND b.hub_id = h.id) AS stale_decisions,
        (SELECT count(*) FROM bottlenecks AS b
         WHERE b.weeks_before = p.weeks_before AND b.hub_id = h.id) AS active_bottlenecks,
        (SELECT count(*) FILTER (WHERE ws.score >= 75) FROM widget_scores AS ws
         WHERE ws.weeks_before = p.weeks_before AND ws.hub_id = h.id) AS red_widgets
    FROM points AS p
    JOIN hubs AS h ON h.created_at < p.as_of
),
scored AS (
    SELECT
        c.*,
        100 - least(20, 2 * c.open_candidates) - least(30, 10 * c.regressed_widgets)
            - least(20, 5 * c.stale_decisions) - least(15, 3 * c.active_bottlenecks)
            - least(15, 5 * c.red_widgets) AS health_score
    FROM counts AS c
),
recorded AS (
    SELECT
        p.weeks_before,
        s.hub_id,
        arg_max(s.health_score, (s.computed_at, s.id)) AS health_score,
        max(s.computed_at) AS computed_at
    FROM points AS p
    JOIN hub_health_snapshots AS s
        ON s.computed_at < p.as_of AND s.computed_at >= p.as_of - INTERVAL 7 DAY
    GROUP BY ALL
)
SELECT
    s.hub_slug,
    s.as_of,
    s.health_score,
    CASE WHEN s.health_score >= 80 THEN 'healthy' WHEN s.health_score >= 60 THEN 'watch'
        ELSE 'at_risk' END AS band,
    s.open_candidates,
    s.regressed_widgets,
    s.stale_decisions,
    s.active_bottlenecks,
    s.red_widgets,
    s.weeks_before,
    rec.health_score AS recorded_health_score,
    rec.computed_at AS recorded_at
FROM scored AS s
LEFT JOIN recorded AS rec ON rec.weeks_before = s.weeks_before AND rec.hub_id = s.hub_id
