-- candidate_status: every candidate's status at every evaluation point T.
-- Spec "Candidate status at T": the status of the latest triage row with
-- changed_at < T; with no such row, 'open' when triage rows exist at or after T
-- (the current status arrived later), else requirement_candidates.status.
-- Ties on changed_at: a closed status wins (it ends the item), then the larger id.
-- stalled_since feeds the candidate bottleneck stage.
SELECT
    b.*,
    b.status NOT IN (SELECT status FROM closed_candidate_statuses) AS is_open
FROM (
    SELECT
        p.point_id,
        p.as_of,
        c.id AS candidate_id,
        c.source_widget_id,
        c.created_at,
        COALESCE(
            latest.status,
            CASE WHEN later.candidate_id IS NOT NULL THEN 'open' ELSE c.status END
        ) AS status,
        COALESCE(latest.changed_at, c.created_at) AS stalled_since
    FROM eval_points AS p
    JOIN requirement_candidates AS c
        ON c.created_at < p.as_of
    LEFT JOIN (
        SELECT DISTINCT ON (p2.point_id, t.candidate_id)
            p2.point_id,
            t.candidate_id,
            t.status,
            t.changed_at
        FROM eval_points AS p2
        JOIN triage_states AS t
            ON t.changed_at < p2.as_of
        ORDER BY
            p2.point_id,
            t.candidate_id,
            t.changed_at DESC,
            t.status IN (SELECT status FROM closed_candidate_statuses) DESC,
            t.id DESC
    ) AS latest
        ON latest.point_id = p.point_id AND latest.candidate_id = c.id
    LEFT JOIN (
        SELECT DISTINCT p3.point_id, t.candidate_id
        FROM eval_points AS p3
        JOIN triage_states AS t
            ON t.changed_at >= p3.as_of
    ) AS later
        ON later.point_id = p.point_id AND later.candidate_id = c.id
) AS b
