-- change_eval_points: the two friction evaluation points of each deployment that is
-- past its observation period: 'before' = as of deployed_at, 'after' = as of
-- deployed_at + 14 d, each with a 14-day window.
WITH numbered AS (
    SELECT
        cd.deployment_id,
        cd.deployed_at,
        row_number() OVER (ORDER BY cd.deployment_id) AS n
    FROM change_deployments AS cd
    WHERE NOT cd.observing
)
SELECT
    2 * n AS point_id,
    deployment_id,
    'before' AS side,
    deployed_at AS as_of,
    deployed_at - INTERVAL '1 day' * :change_window_days AS window_start
FROM numbered
UNION ALL
SELECT
    2 * n + 1 AS point_id,
    deployment_id,
    'after' AS side,
    deployed_at + INTERVAL '1 day' * :change_window_days AS as_of,
    deployed_at AS window_start
FROM numbered
