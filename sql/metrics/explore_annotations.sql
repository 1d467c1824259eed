-- explore_annotations: the newest annotations (at most 25 per widget) created on the
-- workbook's widgets in [T - 7 x weeks days, T), with an excerpt of the text (the first
-- 240 characters; the workbook shortens and cleans it further). is_friction: the
-- category counts as friction; retracted: retracted before T (then it no longer counts).
SELECT
    r.widget_id,
    r.annotation_id,
    r.created_at,
    r.category,
    r.severity,
    r.is_friction,
    r.retracted,
    r.excerpt,
    r.body_length
FROM (
    SELECT
        a.widget_id,
        a.id AS annotation_id,
        a.created_at,
        a.category,
        a.severity,
        a.category NOT IN (SELECT category FROM non_friction_categories) AS is_friction,
        a.retracted_at IS NOT NULL AND a.retracted_at < :as_of AS retracted,
        substr(a.body, 1, 240) AS excerpt,
        length(a.body) AS body_length,
        row_number() OVER (PARTITION BY a.widget_id ORDER BY a.created_at DESC, a.id) AS newest
    FROM annotations AS a
    JOIN explore_widgets AS w
        ON w.widget_id = a.widget_id
    WHERE a.created_at >= :series_start
        AND a.created_at < :as_of
) AS r
WHERE r.newest <= 25
