-- event_days: the interaction events inside the span of all activity intervals, each
-- with its UTC day number (floor(epoch / 86400); date_part is a double on both engines
-- and much cheaper than a time-zone-aware date_trunc or a numeric EXTRACT) and whether
-- it is an error event. interval_activity reads it twice: for per-day totals and for
-- the raw events of partial days.
SELECT
    e.widget_id,
    e.occurred_at,
    CAST(floor(date_part('epoch', e.occurred_at) / 86400) AS INTEGER) AS day,
    CASE WHEN e.event_type IN (SELECT event_type FROM error_event_types) THEN 1 ELSE 0 END AS is_error
FROM interaction_events AS e
WHERE e.occurred_at >= (SELECT min(lo) FROM activity_intervals)
    AND e.occurred_at < (SELECT max(hi) FROM activity_intervals)
