-- A worker's commute profile (il mio tragitto): personal data, optional, private to its owner.
-- Home and office are points; a NIL chosen from the list is stored as its centre and
-- remembered in *_nil_id (NULL when coordinates were typed). The Municipio of residence is
-- located from the home point when the profile is saved; it feeds the public aggregates.
CREATE TABLE commute_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    home_lat DOUBLE PRECISION NOT NULL,
    home_lon DOUBLE PRECISION NOT NULL,
    home_nil_id BIGINT,
    home_municipio BIGINT NOT NULL,
    office_lat DOUBLE PRECISION NOT NULL,
    office_lon DOUBLE PRECISION NOT NULL,
    office_nil_id BIGINT,
    mode TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX commute_profiles_municipio ON commute_profiles(home_municipio);
