-- span_events: the interaction events between :events_from and :events_until (literal
-- bounds that hold every activity interval, computed with the evaluation points: a
-- planner can estimate literals, not subqueries), each with its time bucket.
-- Bucket b of width :bucket_seconds is [origin + b w, origin + (b + 1) w) with origin
-- :bucket_origin (the latest evaluation point), so the points' windows start and end
-- on bucket edges (one bucket per window for a single point, days for weekly points).
-- date_part('epoch') is a double on both engines and far cheaper than a time-zone-aware
-- date_trunc. Read twice (event_buckets, interval_activity) and inlined on both engines
-- (NOT MATERIALIZED): the first pass aggregates straight from the scan, the second
-- keeps only the events of partially covered buckets, instead of writing every event
-- of the range into a shared result first.
SELECT
    e.widget_id,
    e.occurred_at,
    e.event_type,
    CAST(floor((date_part('epoch', e.occurred_at) - date_part('epoch', :bucket_origin)) / :bucket_seconds) AS INTEGER) AS bucket
FROM interaction_events AS e
WHERE e.occurred_at >= :events_from
    AND e.occurred_at < :events_until
