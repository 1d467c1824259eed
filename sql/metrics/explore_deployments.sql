-- explore_deployments: deployments that touch the workbook's widgets — linked by an
-- outcome signal observed before T — deployed in [T - 7 x weeks days, T), with their
-- decision's title and the change evaluation score when it was made before T.
SELECT DISTINCT
    s.widget_id,
    d.id AS deployment_id,
    d.version_ref,
    d.deployed_at,
    dr.title AS decision_title,
    ce.score AS evaluation_score
FROM outcome_signals AS s
JOIN explore_widgets AS w
    ON w.widget_id = s.widget_id
JOIN deployment_records AS d
    ON d.id = s.deployment_id
LEFT JOIN decision_records AS dr
    ON dr.id = d.decision_id
LEFT JOIN change_evaluations AS ce
    ON ce.deployment_id = d.id
    AND ce.evaluated_at < :as_of
WHERE s.observed_at < :as_of
    AND d.deployed_at >= :series_start
    AND d.deployed_at < :as_of
