-- pipeline_hubs: the hub each pipeline item belongs to (spec, Bottlenecks):
--   candidate   -> its source widget's hub
--   requirement -> its source candidate's hub
--   decision    -> its requirement's candidate's hub, else its own candidate_id's
--   deployment  -> its decision's hub
-- hub_id is NULL where the chain cannot be resolved (reported as 'unassigned').
WITH candidate_hub AS (
    SELECT c.id AS candidate_id, w.hub_id
    FROM requirement_candidates AS c
    LEFT JOIN widgets AS w
        ON w.id = c.source_widget_id
),
requirement_hub AS (
    SELECT r.id AS requirement_id, ch.hub_id
    FROM requirements AS r
    LEFT JOIN candidate_hub AS ch
        ON ch.candidate_id = r.source_candidate_id
),
decision_hub AS (
    SELECT d.id AS decision_id, COALESCE(rh.hub_id, ch.hub_id) AS hub_id
    FROM decision_records AS d
    LEFT JOIN requirement_hub AS rh
        ON rh.requirement_id = d.requirement_id
    LEFT JOIN candidate_hub AS ch
        ON ch.candidate_id = d.candidate_id
)
SELECT 'requirement_candidates' AS subject_type, candidate_id AS subject_id, hub_id
FROM candidate_hub
UNION ALL
SELECT 'requirements' AS subject_type, requirement_id AS subject_id, hub_id
FROM requirement_hub
UNION ALL
SELECT 'decision_records' AS subject_type, decision_id AS subject_id, hub_id
FROM decision_hub
UNION ALL
SELECT 'deployment_records' AS subject_type, dep.id AS subject_id, dh.hub_id
FROM deployment_records AS dep
LEFT JOIN decision_hub AS dh
    ON dh.decision_id = dep.decision_id
