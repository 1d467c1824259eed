-- data_span: when the interaction events of the source begin and end. Used to warn
-- when as_of lies outside the data, or when a live database has stopped receiving
-- events. min/max only, which both engines answer from the occurred_at index or
-- column statistics without reading every event.
SELECT
    min(e.occurred_at) AS first_event,
    max(e.occurred_at) AS last_event
FROM interaction_events AS e
