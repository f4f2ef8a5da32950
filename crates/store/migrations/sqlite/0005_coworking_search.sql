-- What a search reads, kept where it reads it.
--
-- Each space's desk figures, kept on the space row by the code that writes its resources
-- (see Db::refresh_desk_figures), so a search reads them instead of aggregating the
-- resources of every space it lists. Desks are the open and fixed desks; meeting rooms are
-- priced by the hour and do not count.
ALTER TABLE coworking_spaces ADD COLUMN desk_seats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE coworking_spaces ADD COLUMN desk_price_cents INTEGER;
UPDATE coworking_spaces SET
    desk_seats = (SELECT COALESCE(SUM(r.seats), 0) FROM coworking_resources r
                  WHERE r.space_id = coworking_spaces.id AND r.kind <> 'meeting_room'),
    desk_price_cents = (SELECT MIN(r.price_cents) FROM coworking_resources r
                        WHERE r.space_id = coworking_spaces.id AND r.kind <> 'meeting_room');

-- The space of each desk counter (NULL for meeting rooms, whose units are hours), set when
-- the counter is created, so a search counts a space's taken desks on a date with one index
-- range instead of one lookup per resource.
ALTER TABLE coworking_slots ADD COLUMN desk_space_id INTEGER REFERENCES coworking_spaces(id);
UPDATE coworking_slots SET desk_space_id =
    (SELECT r.space_id FROM coworking_resources r
     WHERE r.id = coworking_slots.resource_id AND r.kind <> 'meeting_room');
CREATE INDEX coworking_slots_desk_space ON coworking_slots(desk_space_id, date);
