-- change_points: change_eval_points as evaluation points for the friction models.
SELECT point_id, as_of, window_start
FROM change_eval_points
