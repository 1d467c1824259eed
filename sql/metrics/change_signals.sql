-- change_signals: mean outcome-signal value per signal type per deployment in the
-- report range (signals observed before T).
SELECT
    CAST(cd.deployment_id AS TEXT) AS deployment_id,
    s.signal_type,
    CAST(avg(s.value) AS DOUBLE PRECISION) AS mean_value,
    CAST(count(*) AS BIGINT) AS signals,
    :as_of AS as_of
FROM change_deployments AS cd
JOIN outcome_signals AS s
    ON s.deployment_id = cd.deployment_id
    AND s.observed_at < :as_of
GROUP BY cd.deployment_id, s.signal_type
