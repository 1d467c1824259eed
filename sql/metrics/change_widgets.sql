-- change_widgets: before/after friction of every widget behind each evaluated
-- deployment that enter its figures: its own widgets ('changed') and its control
-- group ('control'), each with both scores (a widget created after the deployment has
-- no before score and counts in neither).
SELECT
    CAST(s.deployment_id AS TEXT) AS deployment_id,
    CAST(s.widget_id AS TEXT) AS widget_id,
    h.slug AS hub_slug,
    w.name AS widget_name,
    s.role,
    s.before_score AS before,
    s.after_score AS after,
    :as_of AS as_of
FROM change_widget_scores AS s
JOIN widgets AS w
    ON w.id = s.widget_id
JOIN hubs AS h
    ON h.id = w.hub_id
WHERE s.role IS NOT NULL
    AND s.before_score IS NOT NULL
    AND s.after_score IS NOT NULL
