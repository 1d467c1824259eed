-- explore_candidates: requirement candidates raised from the workbook's widgets before
-- T, with their status at T (candidate_status, at the single point T): every one still
-- open, and the closed ones created in [T - 7 x weeks days, T).
SELECT
    cs.source_widget_id AS widget_id,
    cs.candidate_id,
    c.title,
    cs.created_at,
    cs.status,
    cs.is_open
FROM candidate_status AS cs
JOIN explore_widgets AS w
    ON w.widget_id = cs.source_widget_id
JOIN requirement_candidates AS c
    ON c.id = cs.candidate_id
WHERE cs.is_open
    OR cs.created_at >= :series_start
