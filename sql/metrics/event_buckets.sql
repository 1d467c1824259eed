-- event_buckets: interaction events and error events per widget and time bucket
-- (see span_events): the windows of the evaluation points are sums of these.
SELECT
    se.widget_id,
    se.bucket,
    count(*) AS events,
    count(*) FILTER (WHERE se.event_type IN (SELECT event_type FROM error_event_types)) AS errors
FROM span_events AS se
GROUP BY se.widget_id, se.bucket
