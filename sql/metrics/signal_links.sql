-- signal_links: (deployment, widget) pairs linked by an outcome signal observed before T.
SELECT DISTINCT s.deployment_id, s.widget_id
FROM outcome_signals AS s
WHERE s.observed_at < :as_of
