// People, organisations and dates for journeys that set up their data the way an
// administrator or an API client would: accounts through `mire admin`, the rest through the
// JSON API of the server under test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mireBin } from './server.js';
import { uniqueEmail } from './flows.js';

const run = promisify(execFile);
let taxSeed = 0;

/** A partita IVA with a correct check digit, different at every call. */
export function vat() {
  taxSeed += 1;
  const digits = `${(1 + (process.pid % 9))}${String(Date.now() % 1e6).padStart(6, '0')}${String(taxSeed).padStart(3, '0')}`
    .slice(0, 10)
    .split('')
    .map(Number);
  const sum = digits.reduce((acc, d, i) => acc + (i % 2 === 0 ? d : d * 2 > 9 ? d * 2 - 9 : d * 2), 0);
  return digits.join('') + String((10 - (sum % 10)) % 10);
}

/** `YYYY-MM-DD`, `days` after today in Milan. */
export function milanDay(days) {
  const now = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** A confirmed account made with the admin CLI, in organisation `org` when given, with an API token. */
export async function person(server, who, { role = 'worker', org } = {}) {
  const p = { email: uniqueEmail(who), password: `parola segreta di ${who} 2026`, name: `${who[0].toUpperCase()}${who.slice(1)} Prova` };
  const args = ['admin', 'create-user', '--email', p.email, '--password', p.password, '--role', role, '--name', p.name];
  if (org) args.push('--org', String(org));
  const out = await run(mireBin(), args, { cwd: server.dir, env: server.env });
  p.id = Number(out.stdout.trim());
  const tok = await run(mireBin(), ['admin', 'token', '--email', p.email], { cwd: server.dir, env: server.env });
  p.token = tok.stdout.trim();
  return p;
}

/** Calls the JSON API as `who`; returns the parsed body after checking the status. */
export async function api(server, who, method, path, body, status = 200) {
  const res = await fetch(new URL(path, server.url), {
    method,
    headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, status, `${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Registers an organisation of `kind` at `place` ({address, lat, lon}); returns its id. */
export async function organization(server, rep, kind, name, place) {
  const org = await api(server, rep, 'POST', '/api/v1/organizations', {
    name, kind, tax_code: vat(), size_class: 'small', sector: 'Servizi',
    address: place.address, lat: place.lat, lon: place.lon,
  }, 201);
  return org.id;
}

/** The three helpers above bound to one server, for a test file's `before`. */
export function actorsOf(server) {
  return {
    person: (who, options) => person(server, who, options),
    api: (who, method, path, body, status) => api(server, who, method, path, body, status),
    organization: (rep, kind, name, place) => organization(server, rep, kind, name, place),
  };
}
