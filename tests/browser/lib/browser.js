// Headless Debian Chromium driven by playwright-core (which never downloads a browser).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** Flags for a machine without internet: nothing in the background may try to phone home. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How long one action or expectation may wait before it fails the test. */
export const ACTION_TIMEOUT_MS = 15_000;

/**
 * Launches Chromium from CHROMIUM_BIN (default /usr/bin/chromium). playwright-core gives every launch a fresh, temporary
 * user-data-dir and removes it on close.
 */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: install Debian's (apt-get install -y chromium chromium-driver) ` +
        'or point CHROMIUM_BIN at one',
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    chromiumSandbox: false,
    args: FLAGS,
  });
}

/** A fresh context (own cookies) with a page, at a desktop size unless told otherwise. */
export async function newPage(browser, { viewport = { width: 1280, height: 900 }, locale = 'it-IT' } = {}) {
  const context = await browser.newContext({ viewport, locale });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  return page;
}

/**
 * Remembers what goes wrong in a page that a person would not see in the markup: script
 * errors, console errors (a CSP refusal, say), answers of 500 or more, and sub-resources
 * (style sheet, icon) that fail to load. A page itself answering 4xx is not a problem here:
 * forms with errors answer 422 on purpose, and tests check those statuses themselves.
 */
export function watchProblems(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Failed loads are reported below, with their address and kind.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console error on ${page.url()}: ${m.text()}`);
    }
  });
  page.on('response', (r) => {
    const req = r.request();
    if (r.status() >= 500 || (r.status() >= 400 && !req.isNavigationRequest())) {
      problems.push(`HTTP ${r.status()} for ${req.method()} ${r.url()}`);
    }
  });
  page.on('requestfailed', (req) => {
    const reason = req.failure()?.errorText ?? '';
    // A request the browser cancels because the page navigated on (a favicon still loading
    // when a link is followed) is not a failure of the server.
    if (reason === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.method()} ${req.url()}: ${reason}`);
  });
  return problems;
}

/** Goes to `path` and asserts the answer is a 2xx page; returns the response. */
export async function visit(page, base, path) {
  const res = await page.goto(new URL(path, base).href);
  if (!res) throw new Error(`no response for ${path}`);
  if (!res.ok()) {
    throw new Error(`GET ${path} answered ${res.status()}:\n${(await res.text()).slice(0, 2000)}`);
  }
  return res;
}

/** Fails when the page is wider than the window, i.e. it scrolls sideways (WCAG 1.4.10 reflow). */
export async function assertNoSidewaysScroll(page, label) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${label}: the page scrolls sideways at ${width}px (${scroll}px wide)`);
}
