-- evidence_activity: the interaction events behind interaction_count and
-- error_event_count - per widget in scope, per UTC day (day number = floor(epoch / 86400))
-- and event type, inside the window [T - W, T).
SELECT
    CAST(e.widget_id AS TEXT) AS widget_id,
    CAST(floor(date_part('epoch', e.occurred_at) / 86400) AS INTEGER) AS day_number,
    e.event_type,
    e.event_type IN (SELECT event_type FROM error_event_types) AS is_error,
    count(*) AS events
FROM eval_points AS p
JOIN interaction_events AS e
    ON e.occurred_at >= p.window_start
    AND e.occurred_at < p.as_of
WHERE e.widget_id IN (SELECT widget_id FROM evidence_scope)
GROUP BY
    CAST(e.widget_id AS TEXT),
    CAST(floor(date_part('epoch', e.occurred_at) / 86400) AS INTEGER),
    e.event_type,
    e.event_type IN (SELECT event_type FROM error_event_types)
