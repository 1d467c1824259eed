-- changes_summary: the change-evaluation headline figures at T.
--   change_failure_rate = regressed / (improved + neutral + regressed)
SELECT
    CAST(count(*) AS BIGINT) AS deployments,
    CASE WHEN count(*) = 0 THEN NULL
        ELSE CAST(count(score) AS DOUBLE PRECISION) / count(*) END AS evaluated_share,
    CAST(sum(score) AS DOUBLE PRECISION) / NULLIF(count(score), 0) AS mean_evaluation_score,
    CAST(count(*) FILTER (WHERE verdict = 'improved') AS BIGINT) AS improved,
    CAST(count(*) FILTER (WHERE verdict = 'neutral') AS BIGINT) AS neutral,
    CAST(count(*) FILTER (WHERE verdict = 'regressed') AS BIGINT) AS regressed,
    CAST(count(*) FILTER (WHERE verdict = 'observing') AS BIGINT) AS observing,
    CAST(count(*) FILTER (WHERE verdict = 'no_widgets') AS BIGINT) AS no_widgets,
    CAST(count(*) FILTER (WHERE verdict = 'regressed') AS DOUBLE PRECISION)
        / NULLIF(count(*) FILTER (WHERE verdict IN ('improved', 'neutral', 'regressed')), 0)
        AS change_failure_rate,
    CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_time_days) AS DOUBLE PRECISION) AS lead_time_p50_days,
    CAST(percentile_cont(0.9) WITHIN GROUP (ORDER BY lead_time_days) AS DOUBLE PRECISION) AS lead_time_p90_days,
    :as_of AS as_of
FROM changes
