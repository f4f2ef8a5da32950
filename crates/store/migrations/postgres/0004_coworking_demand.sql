-- Coworking demand: desks firms and workers ask for (how many, which weekdays, from when,
-- near which NIL), spread over one or more NIL, and operators' answers. Dates are ISO text,
-- instants epoch seconds, money cents, booleans 0/1.
CREATE TABLE coworking_demands (
    id BIGSERIAL PRIMARY KEY,
    alliance_id BIGINT NOT NULL REFERENCES alliances(id),
    posted_by BIGINT NOT NULL REFERENCES users(id),
    -- The firm the demand is for; NULL when a worker asks for themselves.
    organization_id BIGINT REFERENCES organizations(id),
    desks BIGINT NOT NULL CHECK (desks > 0),
    -- Bit mask of the weekdays, Monday bit 0.
    weekdays BIGINT NOT NULL CHECK (weekdays > 0 AND weekdays < 128),
    from_date TEXT NOT NULL,
    near_staff_homes BIGINT NOT NULL DEFAULT 0,
    budget_cents BIGINT CHECK (budget_cents >= 0),
    note TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    is_demo BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX coworking_demands_poster ON coworking_demands(posted_by);
CREATE INDEX coworking_demands_org ON coworking_demands(organization_id);
CREATE INDEX coworking_demands_open ON coworking_demands(alliance_id, status);
-- Where the desks are wanted: one row for a single NIL, one per home NIL of the staff.
CREATE TABLE coworking_demand_nils (
    demand_id BIGINT NOT NULL REFERENCES coworking_demands(id),
    nil_id BIGINT NOT NULL,
    desks BIGINT NOT NULL CHECK (desks > 0),
    PRIMARY KEY (demand_id, nil_id)
);
CREATE INDEX coworking_demand_nils_nil ON coworking_demand_nils(nil_id);
-- An operator answers a demand once per space: a second answer is refused here.
CREATE TABLE coworking_demand_answers (
    id BIGSERIAL PRIMARY KEY,
    demand_id BIGINT NOT NULL REFERENCES coworking_demands(id),
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    space_id BIGINT NOT NULL REFERENCES coworking_spaces(id),
    offer_id BIGINT REFERENCES coworking_offers(id),
    message TEXT NOT NULL,
    answered_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX coworking_demand_answers_once ON coworking_demand_answers(demand_id, space_id);
CREATE INDEX coworking_demand_answers_org ON coworking_demand_answers(organization_id);
