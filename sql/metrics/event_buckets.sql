-- event_buckets: interaction events and error events per widget and time bucket,
-- for the events between :events_from and :events_until (literal bounds that hold
-- every activity interval, computed with the evaluation points: a planner can
-- estimate literals, not subqueries).
-- Bucket b of width :bucket_seconds is [origin + b w, origin + (b + 1) w) with
-- origin :bucket_origin (the latest evaluation point): the evaluation points' windows start and end
-- on bucket edges (one bucket per window for a single point, days for weekly points),
-- so they are added up from these totals. date_part('epoch') is a double on both
-- engines and far cheaper than a time-zone-aware date_trunc.
SELECT
    e.widget_id,
    CAST(floor((date_part('epoch', e.occurred_at) - date_part('epoch', :bucket_origin)) / :bucket_seconds) AS INTEGER) AS bucket,
    count(*) AS events,
    count(*) FILTER (WHERE e.event_type IN (SELECT event_type FROM error_event_types)) AS errors
FROM interaction_events AS e
WHERE e.occurred_at >= :events_from
    AND e.occurred_at < :events_until
GROUP BY e.widget_id, CAST(floor((date_part('epoch', e.occurred_at) - date_part('epoch', :bucket_origin)) / :bucket_seconds) AS INTEGER)
