-- The house: alliances, people, organisations, membership. Instants are epoch seconds (UTC).
CREATE TABLE alliances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    territory TEXT NOT NULL,
    summary_it TEXT NOT NULL,
    summary_en TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE action_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alliance_id INTEGER NOT NULL REFERENCES alliances(id),
    slug TEXT NOT NULL,
    position INTEGER NOT NULL,
    name_it TEXT NOT NULL,
    name_en TEXT NOT NULL,
    summary_it TEXT NOT NULL,
    summary_en TEXT NOT NULL,
    UNIQUE (alliance_id, slug)
);
CREATE TABLE programmes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alliance_id INTEGER NOT NULL REFERENCES alliances(id),
    name TEXT NOT NULL,
    start_year INTEGER NOT NULL,
    end_year INTEGER,
    summary_it TEXT NOT NULL,
    summary_en TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT UNIQUE,
    password_hash TEXT,
    display_name TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'it',
    is_demo INTEGER NOT NULL DEFAULT 0,
    email_verified_at INTEGER,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE TABLE alliance_staff (
    user_id INTEGER NOT NULL REFERENCES users(id),
    alliance_id INTEGER NOT NULL REFERENCES alliances(id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, alliance_id, role)
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
-- Single-use links sent by e-mail: address confirmation ('verify') and password reset ('reset').
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    tax_code TEXT NOT NULL UNIQUE,
    size_class TEXT,
    sector TEXT,
    address TEXT NOT NULL,
    lat REAL,
    lon REAL,
    nil_id INTEGER,
    municipio INTEGER,
    is_demo INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE TABLE organization_members (
    user_id INTEGER NOT NULL REFERENCES users(id),
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX organization_members_org ON organization_members(organization_id);
CREATE TABLE alliance_members (
    alliance_id INTEGER NOT NULL REFERENCES alliances(id),
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    role TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (alliance_id, organization_id)
);
CREATE TABLE membership_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alliance_id INTEGER NOT NULL REFERENCES alliances(id),
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    requested_by INTEGER REFERENCES users(id),
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    role TEXT,
    reason TEXT,
    decided_by INTEGER REFERENCES users(id),
    decided_at INTEGER,
    created_at INTEGER NOT NULL
);
-- At most one open request per organisation and alliance, enforced by the database.
CREATE UNIQUE INDEX membership_requests_one_pending
    ON membership_requests(alliance_id, organization_id) WHERE status = 'pending';
CREATE TABLE member_action_lines (
    alliance_id INTEGER NOT NULL REFERENCES alliances(id),
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    action_line_id INTEGER NOT NULL REFERENCES action_lines(id),
    PRIMARY KEY (alliance_id, organization_id, action_line_id)
);
CREATE TABLE request_action_lines (
    request_id INTEGER NOT NULL REFERENCES membership_requests(id),
    action_line_id INTEGER NOT NULL REFERENCES action_lines(id),
    PRIMARY KEY (request_id, action_line_id)
);
