-- health: hub health at T, one row per hub.
SELECT
    hub_slug,
    health_score,
    band,
    open_candidates,
    regressed_widgets,
    stale_decisions,
    active_bottlenecks,
    red_widgets,
    as_of,
    hub_name
FROM hub_health
