-- funnel_annotations: friction annotations created in the cohort window
-- [T - cohort_days, T) (category not in non_friction_categories, not retracted
-- before T) and how many of them some candidate created before T cites, through
-- source_annotation_id or through source_thread_id = the annotation's thread.
WITH cohort_annotations AS (
    SELECT a.id, a.thread_id, w.hub_id
    FROM annotations AS a
    JOIN widgets AS w
        ON w.id = a.widget_id
    WHERE a.created_at >= :cohort_start
        AND a.created_at < :as_of
        AND a.category NOT IN (SELECT category FROM non_friction_categories)
        AND (a.retracted_at IS NULL OR a.retracted_at >= :as_of)
),
cited AS (
    SELECT
        ca.*,
        EXISTS (
            SELECT 1
            FROM requirement_candidates AS c
            WHERE c.created_at < :as_of
                AND (
                    c.source_annotation_id = ca.id
                    OR (ca.thread_id IS NOT NULL AND c.source_thread_id = ca.thread_id)
                )
        ) AS is_cited
    FROM cohort_annotations AS ca
),
counted AS (
    SELECT
        sc.hub_slug,
        count(ct.id) AS friction_annotations,
        count(ct.id) FILTER (WHERE ct.is_cited) AS cited_annotations
    FROM hub_scopes AS sc
    LEFT JOIN cited AS ct
        ON ct.hub_id = sc.hub_id OR sc.hub_slug = 'all'
    GROUP BY sc.hub_slug
)
SELECT
    hub_slug,
    CAST(friction_annotations AS BIGINT) AS friction_annotations,
    CAST(cited_annotations AS BIGINT) AS cited_annotations,
    CASE
        WHEN friction_annotations = 0 THEN NULL
        ELSE CAST(cited_annotations AS DOUBLE PRECISION) / friction_annotations
    END AS cited_share,
    :as_of AS as_of
FROM counted
