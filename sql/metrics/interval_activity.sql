-- interval_activity: interaction events and error events of each interval's widget
-- in [lo, hi), counted exactly but cheaply. An interval adds up the buckets it covers
-- whole from event_buckets' per-widget totals, and counts raw events only in the (at
-- most two) buckets it covers partially. Windows of the evaluation points lie on
-- bucket edges, so only deployment intervals have partial buckets; many overlapping
-- windows (health trend, change evaluation) cost little more than one.
WITH bounds AS (
    SELECT
        interval_id,
        widget_id,
        lo,
        hi,
        CAST(floor((date_part('epoch', lo) - date_part('epoch', :bucket_origin)) / :bucket_seconds) AS INTEGER) AS lo_bucket,
        CAST(ceil((date_part('epoch', lo) - date_part('epoch', :bucket_origin)) / :bucket_seconds) AS INTEGER) AS first_whole_bucket,
        CAST(floor((date_part('epoch', hi) - date_part('epoch', :bucket_origin)) / :bucket_seconds) AS INTEGER) AS hi_bucket,
        CAST(ceil((date_part('epoch', hi) - date_part('epoch', :bucket_origin)) / :bucket_seconds) AS INTEGER) AS hi_ceil_bucket
    FROM activity_intervals
),
whole_buckets AS (
    -- bucket b lies whole inside [lo, hi) when first_whole_bucket <= b < hi_bucket
    SELECT b.interval_id, sum(eb.events) AS events, sum(eb.errors) AS errors
    FROM bounds AS b
    JOIN event_buckets AS eb
        ON eb.widget_id = b.widget_id
        AND eb.bucket >= b.first_whole_bucket
        AND eb.bucket < b.hi_bucket
    GROUP BY b.interval_id
),
partial_buckets AS (
    -- the (at most two) buckets an interval covers partially: the one holding lo and
    -- the one holding hi, each unless that bound is a bucket edge. Derived from the
    -- intervals alone, not from event_buckets, so a planner knows their number (at
    -- most two per interval) and joins the events to them by hash instead of sorting
    -- the events (Postgres cannot estimate the groups of event_buckets).
    SELECT interval_id, widget_id, lo, hi, lo_bucket AS bucket
    FROM bounds
    WHERE lo_bucket < first_whole_bucket
    UNION
    SELECT interval_id, widget_id, lo, hi, hi_bucket AS bucket
    FROM bounds
    WHERE hi_bucket < hi_ceil_bucket
),
edge_buckets AS (
    -- raw events, but only those in a bucket some interval covers partially: a cheap
    -- filter on (widget, bucket) first, so the join sees few events. `IS TRUE` keeps
    -- it a filter (a hashed subplan per event) on Postgres, which would otherwise
    -- plan it as a semi-join by sorting every event of the range
    SELECT
        o.interval_id,
        count(*) AS events,
        count(*) FILTER (WHERE e.event_type IN (SELECT event_type FROM error_event_types)) AS errors
    FROM partial_buckets AS o
    JOIN (
        SELECT *
        FROM span_events
        WHERE ((widget_id, bucket) IN (SELECT widget_id, bucket FROM partial_buckets)) IS TRUE
    ) AS e
        ON e.widget_id = o.widget_id
        AND e.bucket = o.bucket
        AND e.occurred_at >= o.lo
        AND e.occurred_at < o.hi
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
LEFT JOIN whole_buckets AS w
    ON w.interval_id = i.interval_id
LEFT JOIN edge_buckets AS g
    ON g.interval_id = i.interval_id
