-- Coworking: spaces, resources, alliance offers, capacity counters, bookings, waitlist and
-- company credits. Dates are ISO text (YYYY-MM-DD), instants epoch seconds, money cents.
CREATE TABLE coworking_spaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    description_it TEXT,
    description_en TEXT,
    address TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    nil_id BIGINT NOT NULL,
    municipio BIGINT NOT NULL,
    -- Seven 'HH:MM-HH:MM' entries, Monday first, empty when closed.
    opening_hours TEXT NOT NULL,
    -- Bit mask of the amenities, in the order of mire_domain::coworking::Amenity::ALL.
    amenities BIGINT NOT NULL DEFAULT 0,
    email TEXT,
    phone TEXT,
    website TEXT,
    price_day_cents BIGINT,
    price_half_day_cents BIGINT,
    price_month_cents BIGINT,
    horizon_days BIGINT NOT NULL,
    max_active_bookings BIGINT NOT NULL,
    cancel_hours BIGINT NOT NULL,
    is_demo BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX coworking_spaces_org ON coworking_spaces(organization_id);
CREATE INDEX coworking_spaces_municipio ON coworking_spaces(municipio);
CREATE INDEX coworking_spaces_nil ON coworking_spaces(nil_id);
CREATE TABLE coworking_closures (
    space_id BIGINT NOT NULL REFERENCES coworking_spaces(id),
    date TEXT NOT NULL,
    PRIMARY KEY (space_id, date)
);
CREATE TABLE coworking_resources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id BIGINT NOT NULL REFERENCES coworking_spaces(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    seats BIGINT NOT NULL CHECK (seats > 0),
    -- Full-day price of a desk, hourly price of a room.
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    half_day_price_cents BIGINT NOT NULL CHECK (half_day_price_cents >= 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX coworking_resources_space ON coworking_resources(space_id);
CREATE TABLE coworking_offers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id BIGINT NOT NULL REFERENCES coworking_spaces(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    discount_percent BIGINT,
    trial_days BIGINT,
    pack_days BIGINT,
    pack_price_cents BIGINT,
    valid_until TEXT,
    status TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    decided_by BIGINT REFERENCES users(id),
    decided_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX coworking_offers_space ON coworking_offers(space_id, status);
CREATE INDEX coworking_offers_status ON coworking_offers(status);
-- Seats taken per resource, date and unit (desks: 0 morning, 1 afternoon; rooms: the hour).
-- Every booking raises its units with UPDATE ... WHERE taken < seats, so capacity can never be
-- exceeded whatever the concurrency; past bookings never make this table slower to read.
CREATE TABLE coworking_slots (
    resource_id BIGINT NOT NULL REFERENCES coworking_resources(id),
    date TEXT NOT NULL,
    unit BIGINT NOT NULL,
    taken BIGINT NOT NULL DEFAULT 0 CHECK (taken >= 0),
    PRIMARY KEY (resource_id, date, unit)
);
CREATE TABLE coworking_bookings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id BIGINT NOT NULL REFERENCES coworking_resources(id),
    space_id BIGINT NOT NULL REFERENCES coworking_spaces(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    date TEXT NOT NULL,
    period TEXT NOT NULL,
    hour BIGINT,
    status TEXT NOT NULL,
    list_price_cents BIGINT NOT NULL,
    price_cents BIGINT NOT NULL,
    pricing TEXT NOT NULL,
    offer_id BIGINT REFERENCES coworking_offers(id),
    credit_id BIGINT,
    created_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    checked_in_at BIGINT,
    checked_in_by BIGINT REFERENCES users(id)
);
CREATE INDEX coworking_bookings_user ON coworking_bookings(user_id, date);
CREATE INDEX coworking_bookings_space ON coworking_bookings(space_id, date);
CREATE INDEX coworking_bookings_resource ON coworking_bookings(resource_id, date);
-- The units an active booking holds. One person cannot hold the same unit of a resource twice:
-- two bookings of one resource for the same date and overlapping periods are refused here.
CREATE TABLE coworking_booking_units (
    booking_id BIGINT NOT NULL REFERENCES coworking_bookings(id),
    resource_id BIGINT NOT NULL,
    date TEXT NOT NULL,
    unit BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (booking_id, unit)
);
CREATE UNIQUE INDEX coworking_one_booking_per_person
    ON coworking_booking_units(resource_id, date, unit, user_id);
CREATE TABLE coworking_waitlist (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id BIGINT NOT NULL REFERENCES coworking_resources(id),
    space_id BIGINT NOT NULL REFERENCES coworking_spaces(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    date TEXT NOT NULL,
    period TEXT NOT NULL,
    hour BIGINT NOT NULL DEFAULT 0,
    use_credit BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    booking_id BIGINT REFERENCES coworking_bookings(id),
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE UNIQUE INDEX coworking_waitlist_once
    ON coworking_waitlist(resource_id, date, period, hour, user_id) WHERE status = 'waiting';
CREATE INDEX coworking_waitlist_queue ON coworking_waitlist(resource_id, date, status, id);
CREATE INDEX coworking_waitlist_user ON coworking_waitlist(user_id, status);
-- Credit packs a firm bought: `assigned` can never exceed `days`.
CREATE TABLE coworking_credit_packs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_id BIGINT NOT NULL REFERENCES coworking_offers(id),
    space_id BIGINT NOT NULL REFERENCES coworking_spaces(id),
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    days BIGINT NOT NULL CHECK (days > 0),
    assigned BIGINT NOT NULL DEFAULT 0 CHECK (assigned >= 0 AND assigned <= days),
    valid_until TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    purchased_by BIGINT REFERENCES users(id),
    purchased_at BIGINT NOT NULL
);
CREATE INDEX coworking_credit_packs_org ON coworking_credit_packs(organization_id);
-- One row per desk-day. A credit is spent by setting booking_id, only where it is NULL; the
-- unique index means one booking can never hold two credits nor a credit two bookings.
CREATE TABLE coworking_credits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pack_id BIGINT NOT NULL REFERENCES coworking_credit_packs(id),
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    space_id BIGINT NOT NULL REFERENCES coworking_spaces(id),
    valid_until TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id),
    assigned_at BIGINT,
    booking_id BIGINT REFERENCES coworking_bookings(id),
    spent_at BIGINT
);
CREATE UNIQUE INDEX coworking_credits_booking ON coworking_credits(booking_id);
CREATE INDEX coworking_credits_pack ON coworking_credits(pack_id, user_id);
CREATE INDEX coworking_credits_user ON coworking_credits(user_id, space_id, booking_id);
CREATE INDEX coworking_credits_org ON coworking_credits(organization_id);
