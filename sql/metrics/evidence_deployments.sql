-- evidence_deployments: the deployments that touched each widget in scope - linked by an
-- outcome signal observed before T, deployed before T - and, for those deployed in the
-- window, which regression rule fires:
--   rule_a - a change evaluation before T scored <= regression_eval_max_score
--   rule_b - errors after >= regression_min_errors and the error rate after exceeds
--            regression_rate_ratio x the rate before (as in regression_flags)
-- The widget's regression_flag is true exactly when some row has regression.
WITH linked AS (
    SELECT DISTINCT
        pw.point_id,
        pw.as_of,
        pw.window_start,
        pw.widget_id,
        d.id AS deployment_id,
        d.version_ref,
        d.deployed_at
    FROM point_widgets AS pw
    JOIN outcome_signals AS s
        ON s.widget_id = pw.widget_id
        AND s.observed_at < pw.as_of
    JOIN deployment_records AS d
        ON d.id = s.deployment_id
        AND d.deployed_at < pw.as_of
),
evaluated AS (
    SELECT
        l.point_id,
        l.widget_id,
        l.deployment_id,
        min(ce.score) AS lowest_evaluation_score,
        count(ce.deployment_id) AS evaluations
    FROM linked AS l
    LEFT JOIN change_evaluations AS ce
        ON ce.deployment_id = l.deployment_id
        AND ce.evaluated_at < l.as_of
    GROUP BY l.point_id, l.widget_id, l.deployment_id
),
rates AS (
    SELECT
        l.point_id,
        l.widget_id,
        l.deployment_id,
        b.events AS events_before,
        b.errors AS errors_before,
        a.events AS events_after,
        a.errors AS errors_after
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
),
ruled AS (
    SELECT
        l.*,
        l.deployed_at >= l.window_start AS in_window,
        ev.lowest_evaluation_score,
        ev.evaluations,
        r.events_before,
        r.errors_before,
        r.events_after,
        r.errors_after,
        l.deployed_at >= l.window_start
            AND COALESCE(ev.lowest_evaluation_score <= :regression_eval_max_score, FALSE) AS rule_a,
        COALESCE(
            r.errors_after >= :regression_min_errors
            AND CAST(r.errors_after AS DOUBLE PRECISION) * GREATEST(r.events_before, :min_volume)
                > :regression_rate_ratio * r.errors_before * GREATEST(r.events_after, :min_volume),
            FALSE
        ) AS rule_b
    FROM linked AS l
    JOIN evaluated AS ev
        ON ev.point_id = l.point_id
        AND ev.widget_id = l.widget_id
        AND ev.deployment_id = l.deployment_id
    LEFT JOIN rates AS r
        ON r.point_id = l.point_id
        AND r.widget_id = l.widget_id
        AND r.deployment_id = l.deployment_id
)
SELECT
    CAST(widget_id AS TEXT) AS widget_id,
    CAST(deployment_id AS TEXT) AS deployment_id,
    version_ref,
    deployed_at,
    in_window,
    lowest_evaluation_score,
    evaluations,
    events_before,
    errors_before,
    events_after,
    errors_after,
    rule_a,
    rule_b,
    rule_a OR rule_b AS regression,
    as_of
FROM ruled
