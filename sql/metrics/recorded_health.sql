-- recorded_health: the hub_health_snapshots the application recorded itself,
-- from :series_start up to (not including) T.
SELECT
    h.slug AS hub_slug,
    s.computed_at,
    s.health_score,
    s.open_candidates,
    s.regressed_widgets,
    s.stale_decisions,
    s.active_bottlenecks
FROM hub_health_snapshots AS s
JOIN hubs AS h
    ON h.id = s.hub_id
WHERE s.computed_at >= :series_start
    AND s.computed_at < :as_of
