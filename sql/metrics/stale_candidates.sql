-- stale_candidates: per (point, widget), candidates citing the widget as source that
-- are open at T and older than the candidate threshold (T - created_at > 30 d).
SELECT
    cs.point_id,
    cs.source_widget_id AS widget_id,
    count(*) AS stale_candidate_count
FROM candidate_status AS cs
WHERE cs.is_open
    AND cs.created_at < cs.as_of - INTERVAL '1 day' * :candidate_threshold_days
GROUP BY cs.point_id, cs.source_widget_id
