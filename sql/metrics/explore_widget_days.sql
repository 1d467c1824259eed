-- explore_widget_days: interaction events per widget, UTC day and event type over the
-- trend's span [T - 7 x weeks days, T), for the widgets the workbook looks at
-- (explore_widgets, rendered from Python). Aggregated here, so only one row per
-- widget, day and type leaves the database. day = floor(epoch / 86400), as in
-- event_days; is_error marks the configured error event types.
SELECT
    e.widget_id,
    CAST(floor(date_part('epoch', e.occurred_at) / 86400) AS INTEGER) AS day,
    e.event_type,
    CASE WHEN e.event_type IN (SELECT event_type FROM error_event_types) THEN 1 ELSE 0 END
        AS is_error,
    count(*) AS events
FROM interaction_events AS e
JOIN explore_widgets AS w
    ON w.widget_id = e.widget_id
WHERE e.occurred_at >= :series_start
    AND e.occurred_at < :as_of
GROUP BY 1, 2, 3, 4
