-- interval_activity: interaction events and error events of each interval's widget
-- in [lo, hi), counted exactly but cheaply. Events are scanned once into per-widget
-- UTC-day totals; an interval adds up its whole days from those totals and counts
-- raw events only on its (at most two) partial edge days. Many overlapping windows
-- (health trend, change evaluation) then cost little more than one.
WITH span AS (
    SELECT min(lo) AS lo, max(hi) AS hi
    FROM activity_intervals
),
scoped_events AS (
    SELECT
        e.widget_id,
        e.occurred_at,
        date_trunc('day', e.occurred_at) AS day,
        CASE WHEN e.event_type IN (SELECT event_type FROM error_event_types) THEN 1 ELSE 0 END AS is_error
    FROM interaction_events AS e
    WHERE e.occurred_at >= (SELECT lo FROM span)
        AND e.occurred_at < (SELECT hi FROM span)
        AND e.widget_id IN (SELECT widget_id FROM activity_intervals)
),
daily AS (
    SELECT widget_id, day, count(*) AS events, sum(is_error) AS errors
    FROM scoped_events
    GROUP BY widget_id, day
),
overlapping_days AS (
    SELECT
        i.interval_id,
        i.widget_id,
        i.lo,
        i.hi,
        d.day,
        d.events,
        d.errors,
        d.day >= i.lo AND d.day + INTERVAL '1 day' <= i.hi AS whole_day
    FROM activity_intervals AS i
    JOIN daily AS d
        ON d.widget_id = i.widget_id
        AND d.day + INTERVAL '1 day' > i.lo
        AND d.day < i.hi
),
whole_days AS (
    SELECT interval_id, sum(events) AS events, sum(errors) AS errors
    FROM overlapping_days
    WHERE whole_day
    GROUP BY interval_id
),
edge_days AS (
    SELECT o.interval_id, count(*) AS events, sum(e.is_error) AS errors
    FROM overlapping_days AS o
    JOIN scoped_events AS e
        ON e.widget_id = o.widget_id
        AND e.day = o.day
        AND e.occurred_at >= o.lo
        AND e.occurred_at < o.hi
    WHERE NOT o.whole_day
    GROUP BY o.interval_id
)
SELECT
    i.interval_id,
    i.point_id,
    i.widget_id,
    i.deployment_id,
    i.kind,
    CAST(COALESCE(w.events, 0) + COALESCE(g.events, 0) AS BIGINT) AS events,
    CAST(COALESCE(w.errors, 0) + COALESCE(g.errors, 0) AS BIGINT) AS errors
FROM activity_intervals AS i
LEFT JOIN whole_days AS w
    ON w.interval_id = i.interval_id
LEFT JOIN edge_days AS g
    ON g.interval_id = i.interval_id
