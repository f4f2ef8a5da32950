// Accessibility check with axe-core: injected into the page, fails on serious or critical
// violations and prints every such violation with the elements it found.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const BLOCKING = new Set(['serious', 'critical']);

/** Runs axe on the page as it is now and returns its violations. */
export async function axeViolations(page) {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) still holds
  // for the page itself and is not loosened for the test.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      tags: v.tags,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        html: n.html,
        summary: n.failureSummary,
        impact: n.impact,
      })),
    }));
  });
}

/** Human-readable list of violations. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `      - ${n.target}\n        ${n.html.slice(0, 300)}\n        ${(n.summary ?? '').replace(/\n/g, '\n        ')}`)
        .join('\n');
      return `  * ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/** Asserts no serious or critical violation on the current page; `label` names the page. */
export async function assertAccessible(page, label) {
  const violations = await axeViolations(page);
  const blocking = violations.filter((v) => BLOCKING.has(v.impact));
  const minor = violations.filter((v) => !BLOCKING.has(v.impact));
  if (minor.length > 0) {
    // Reported, not failed: moderate and minor findings are worth reading but are not the bar.
    console.log(`axe: ${label}: ${minor.length} moderate/minor finding(s): ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  }
  assert.equal(
    blocking.length,
    0,
    `axe found ${blocking.length} serious/critical violation(s) on ${label} (${page.url()}):\n${formatViolations(blocking)}`,
  );
}
