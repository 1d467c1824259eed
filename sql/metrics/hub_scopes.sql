-- hub_scopes: the rows of a per-hub figure: every hub existing at T, plus 'all'
-- (hub_id NULL), which takes every item whatever its hub.
SELECT h.id AS hub_id, h.slug AS hub_slug
FROM hubs AS h
WHERE h.created_at < :as_of
UNION ALL
SELECT CAST(NULL AS UUID) AS hub_id, 'all' AS hub_slug
