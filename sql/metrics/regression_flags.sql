-- regression_flags: the spec's regression flag per (point, widget). True when a
-- linked deployment in the window either
--   (a) has a change evaluation before T with score <= regression_eval_max_score, or
--   (b) saw the widget's error rate after it exceed regression_rate_ratio x the rate
--       before, with at least regression_min_errors error events after;
--       rate = errors / max(events, min_volume). Compared cross-multiplied, so the
--       1.5x boundary is exact in floating point.
SELECT
    l.point_id,
    l.widget_id,
    bool_or(
        ce.deployment_id IS NOT NULL
        OR (
            a.errors >= :regression_min_errors
            AND CAST(a.errors AS DOUBLE PRECISION) * GREATEST(b.events, :min_volume)
                > :regression_rate_ratio * b.errors * GREATEST(a.events, :min_volume)
        )
    ) AS regression_flag
FROM regression_links AS l
JOIN interval_activity AS b
    ON b.point_id = l.point_id
    AND b.widget_id = l.widget_id
    AND b.deployment_id = l.deployment_id
    AND b.kind = 'before'
JOIN interval_activity AS a
    ON a.point_id = l.point_id
    AND a.widget_id = l.widget_id
    AND a.deployment_id = l.deployment_id
    AND a.kind = 'after'
LEFT JOIN change_evaluations AS ce
    ON ce.deployment_id = l.deployment_id
    AND ce.evaluated_at < l.as_of
    AND ce.score <= :regression_eval_max_score
GROUP BY l.point_id, l.widget_id
