// Journey 1: an organisation's representative signs up, registers a company, asks to join
// the alliance; a coordinator approves it; the company is in the directory as a member.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems } from '../lib/browser.js';
import { signUp, logIn, logOut, registerOrganization, askToJoin, navigates, mainText, uniqueEmail } from '../lib/flows.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('sign up, register a company, ask to join, coordinator approves, company listed', async () => {
  const page = await newPage(browser);
  const problems = watchProblems(page);

  const rep = { name: 'Giulia Bianchi', email: uniqueEmail('giulia'), password: 'tempo ritrovato al parco' };
  const coordinator = { email: uniqueEmail('coord'), password: 'coordinamento sicuro 2024' };
  await server.createUser({ ...coordinator, role: 'coordinator', name: 'Carla Coordinatrice' });
  const company = 'Officina Navigli Srl';

  // Sign up and confirm through the e-mailed link.
  await signUp(page, server, rep);
  assert.match(await mainText(page), /il tuo indirizzo è confermato/);
  assert.equal(
    await page.getByRole('banner').getByRole('link', { name: rep.name }).count(),
    1,
    'the header should show the signed-in name',
  );

  // Register the company.
  const orgId = await registerOrganization(page, server, {
    name: company,
    kind: 'company',
    taxCode: '12345678903',
    size: 'micro',
    sector: 'Artigianato',
    address: 'Piazza del Duomo 1, Milano',
    lat: '45.4642',
    lon: '9.19',
  });
  assert.equal(await page.getByRole('status').first().innerText(), 'Organizzazione registrata.');
  assert.match(await page.locator('h1').innerText(), new RegExp(`Chiedi di aderire: ${company}`));

  // Ask to join, on two action lines.
  await askToJoin(page, {
    lines: ['Lavoro agile', 'Welfare territoriale in rete'],
    message: 'Vorremmo offrire lavoro agile ai nostri sei dipendenti.',
  });
  assert.equal(new URL(page.url()).pathname, `/organizzazioni/${orgId}`);
  assert.equal(await page.locator('h1').innerText(), company);
  const pendingPage = await mainText(page);
  assert.match(pendingPage, /Richiesta di adesione/);
  assert.match(pendingPage, /In attesa/, 'the organisation page should show the pending request');
  assert.match(pendingPage, /Adesione all'alleanza\s+Non aderente/);
  assert.match(pendingPage, /Municipio 1/);

  // The personal area shows it too.
  await visit(page, server.url, '/area-personale');
  assert.match(await mainText(page), new RegExp(`${company}[\\s\\S]*In attesa`));

  await logOut(page);

  // The coordinator decides.
  await logIn(page, server, coordinator.email, coordinator.password);
  await navigates(page, () => page.getByRole('navigation').getByRole('link', { name: 'Coordinamento' }).click());
  assert.equal(new URL(page.url()).pathname, '/coordinamento/richieste');
  const card = page.locator('section.card', { has: page.getByRole('heading', { name: company }) });
  assert.equal(await card.count(), 1, `one pending request for ${company} expected:\n${await mainText(page)}`);
  assert.match(await card.innerText(), /Vorremmo offrire lavoro agile/);
  await card.getByLabel("Ruolo nell'alleanza").selectOption('partner');
  await navigates(page, () => card.getByRole('button', { name: `Approva – ${company}` }).click());
  assert.equal(new URL(page.url()).pathname, '/coordinamento/richieste', `approving led to ${page.url()}`);
  const decided = await mainText(page);
  assert.match(decided, /Nessuna richiesta in attesa/);
  assert.match(decided, new RegExp(`${company}: Approvata`));

  // The representative is told by e-mail.
  const outcome = await server.mailTo(rep.email);
  assert.match(outcome, /^Subject: Adesione all'alleanza approvata$/m);
  assert.match(outcome, new RegExp(`/organizzazioni/${orgId}`));

  // Anyone sees the company in the directory, in Municipio 1, and as a member on its page.
  await logOut(page);
  await navigates(page, () => page.getByRole('navigation').getByRole('link', { name: "Membri dell'alleanza" }).click());
  assert.equal(new URL(page.url()).pathname, '/membri');
  const entry = page.locator('li.member', { has: page.getByRole('link', { name: company, exact: true }) });
  assert.equal(await entry.count(), 1, `${company} should be listed once in the directory:\n${await mainText(page)}`);
  const entryText = await entry.innerText();
  assert.match(entryText, /Impresa/);
  assert.match(entryText, /Partner/);
  assert.match(entryText, /Municipio 1\b/);
  const marker = page.locator('figure.map svg a', { hasText: company });
  assert.equal(await marker.count(), 1, `the map should have one marker for ${company}`);
  assert.equal(await marker.getAttribute('href'), `/organizzazioni/${orgId}`);

  // Filtering by kind keeps it; filtering by another Municipio drops it.
  const listed = () => page.locator('ul.member-list').getByRole('link', { name: company, exact: true }).count();
  await visit(page, server.url, '/membri?kind=company');
  assert.equal(await listed(), 1, 'the company should be listed under kind=company');
  await visit(page, server.url, '/membri?kind=public_body');
  assert.equal(await listed(), 0, 'the company should not be listed under kind=public_body');
  await visit(page, server.url, '/membri?municipio=9');
  assert.equal(await listed(), 0, 'the company should not be listed under Municipio 9');

  await visit(page, server.url, '/membri');
  await navigates(page, () => page.locator('ul.member-list').getByRole('link', { name: company, exact: true }).click());
  assert.equal(new URL(page.url()).pathname, `/organizzazioni/${orgId}`);
  const publicPage = await mainText(page);
  assert.match(publicPage, /Adesione all'alleanza\s+Partner/);
  assert.doesNotMatch(publicPage, /Non aderente/);
  assert.doesNotMatch(publicPage, /12345678903/, 'the tax code is private to the organisation');

  assert.deepEqual(problems, [], 'no script errors, console errors or 5xx answers along the way');
  await page.context().close();
});

test('a signed-in person stays signed in on every page of the main navigation', async () => {
  const page = await newPage(browser);
  const problems = watchProblems(page);
  const person = { email: uniqueEmail('navigante'), password: 'sempre riconosciuta 7', name: 'Nadia Navigante' };
  await server.createUser({ ...person, role: 'worker' });
  await logIn(page, server, person.email, person.password);

  const links = await page
    .getByRole('navigation')
    .getByRole('link')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.includes('/api/docs') && links.includes('/membri'), `navigation links: ${links}`);
  const signedOutOn = [];
  for (const href of links) {
    await visit(page, server.url, href);
    const header = page.getByRole('banner');
    const me = await header.getByRole('link', { name: person.name }).count();
    const loginLink = await header.getByRole('link', { name: 'Accedi' }).count();
    if (me !== 1 || loginLink !== 0) signedOutOn.push(href);
  }
  assert.deepEqual(signedOutOn, [], 'these pages show the signed-out header to a signed-in person');
  assert.deepEqual(problems, []);
  await page.context().close();
});
