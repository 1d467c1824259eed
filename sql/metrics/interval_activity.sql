-- interval_activity: interaction events and error events of each interval's widget
-- in [lo, hi), counted exactly but cheaply. Events (event_days) are summed into
-- per-widget UTC-day totals; an interval adds up the days it covers whole from those
-- totals and counts raw events only on its (at most two) partial edge days. Many
-- overlapping windows (health trend, change evaluation) then cost little more than one.
WITH bounds AS (
    SELECT
        interval_id,
        widget_id,
        lo,
        hi,
        CAST(floor(date_part('epoch', lo) / 86400) AS INTEGER) AS lo_day,
        CAST(ceil(date_part('epoch', lo) / 86400) AS INTEGER) AS first_whole_day,
        CAST(floor(date_part('epoch', hi) / 86400) AS INTEGER) AS hi_day
    FROM activity_intervals
),
daily AS (
    SELECT widget_id, day, count(*) AS events, sum(is_error) AS errors
    FROM event_days
    GROUP BY widget_id, day
),
overlapping_days AS (
    -- a day [d, d + 1) lies whole inside [lo, hi) when first_whole_day <= d < hi_day
    SELECT
        b.interval_id,
        b.widget_id,
        b.lo,
        b.hi,
        d.day,
        d.events,
        d.errors,
        d.day >= b.first_whole_day AND d.day < b.hi_day AS whole_day
    FROM bounds AS b
    JOIN daily AS d
        ON d.widget_id = b.widget_id
        AND d.day >= b.lo_day
        AND d.day <= b.hi_day
),
whole_days AS (
    SELECT interval_id, sum(events) AS events, sum(errors) AS errors
    FROM overlapping_days
    WHERE whole_day
    GROUP BY interval_id
),
edge_days AS (
    -- raw events, but only on the days an interval covers partially
    SELECT o.interval_id, count(*) AS events, sum(e.is_error) AS errors
    FROM overlapping_days AS o
    JOIN event_days AS e
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
