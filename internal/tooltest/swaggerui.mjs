// swaggerui.mjs is what the /docs browser tests of the examples share
// (examples/person and examples/accounts, docs_browser.mjs): it starts
// headless Chromium with playwright-core (never downloading a browser),
// records console errors, page errors, failed requests and CSP violations,
// opens the page, reads its operations and Authorize button, runs the
// test's own scenario, then saves a full-page screenshot, checks with a
// probe that the page's CSP is enforced and its violations are seen, and
// prints one JSON result on stdout; on stderr, how long each step took. A
// failing step is reported in "error" (the result so far is printed all
// the same, and the exit status is 1), so that the test shows what the
// page did up to there.
//
// Input, as JSON on stdin: {"modules": ".ci/node/node_modules",
// "chromium": "/usr/bin/chromium", "userDataDir": "...", "url":
// "http://127.0.0.1:PORT/docs", "screenshot": ".../docs.png", ...} and the
// scenario's own members.

import { createRequire } from 'node:module';
import path from 'node:path';

export const stepTimeout = 15_000;

let last = Date.now();

// step logs how long the step just done took, on stderr.
export function step(name) {
  const now = Date.now();
  process.stderr.write(`${name}: ${now - last} ms\n`);
  last = now;
}

// run runs scenario({page, input, result, authorize}) on the page, with
// result holding the shared members and those of fields.
export async function run(fields, scenario) {
  const input = JSON.parse(await readStdin());
  const require = createRequire(path.join(path.resolve(input.modules), 'noop.js'));
  const { chromium } = require('playwright-core');
  const result = {
    title: '',
    csp: '',
    operations: [],
    authorize: false,
    securitySchemes: [],
    tryItOutStatus: '',
    tryItOutBody: null,
    ...fields,
    consoleErrors: [],
    pageErrors: [],
    cspViolations: [],
    failedRequests: [],
    screenshot: '',
    cspProbe: null,
    error: '',
  };
  let context;
  let page;
  try {
    context = await chromium.launchPersistentContext(input.userDataDir, {
      executablePath: input.chromium,
      headless: true,
      // As the machine notes say: no sandbox (root), and none of Chromium's
      // own connections to the outside, which this network refuses.
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
      timeout: stepTimeout,
    });
    step('launch');
    page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(stepTimeout);

    page.on('console', (m) => {
      if (m.type() === 'error') {
        result.consoleErrors.push({ text: m.text(), url: m.location().url || '' });
      }
    });
    page.on('pageerror', (e) => result.pageErrors.push(String(e && e.message || e)));
    page.on('requestfailed', (r) => result.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    // The binding and the listener run outside the page's CSP (they come
    // from DevTools), so a violation is reported even if it stops the page.
    await page.exposeBinding('__cspViolation', (_source, v) => result.cspViolations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolation({
          effectiveDirective: e.effectiveDirective,
          blockedURI: e.blockedURI,
          sourceFile: e.sourceFile,
          line: e.lineNumber,
          column: e.columnNumber,
          sample: e.sample,
          disposition: e.disposition,
        });
      });
    });

    const resp = await page.goto(input.url, { waitUntil: 'load' });
    result.csp = resp.headers()['content-security-policy'] || '';
    step('goto');
    // The operations: Swagger UI renders them once it has fetched and
    // resolved /openapi.json.
    await page.locator('.opblock').first().waitFor();
    result.title = await page.title();
    result.operations = await page.locator('.opblock').evaluateAll((blocks) => blocks.map((b) => {
      const method = b.querySelector('.opblock-summary-method')?.textContent.trim() ?? '';
      const p = b.querySelector('.opblock-summary-path');
      const pathText = p?.getAttribute('data-path') ?? p?.textContent.replace(/\u200b/g, '').trim() ?? '';
      return `${method} ${pathText}`;
    }));
    step('render');
    const authorize = page.locator('.auth-wrapper button.authorize');
    result.authorize = await authorize.isVisible();
    await scenario({ page, input, result, authorize });
  } catch (e) {
    result.error = String(e && e.stack || e);
  }

  if (page) {
    try {
      await page.screenshot({ path: input.screenshot, fullPage: true });
      result.screenshot = input.screenshot;
    } catch (e) {
      result.error += (result.error ? '\n' : '') + 'screenshot: ' + e;
    }
    step('screenshot');
    if (!result.error) {
      try {
        result.cspProbe = await probeCSP(page, result);
      } catch (e) {
        result.error = 'CSP probe: ' + String(e && e.stack || e);
      }
    }
    step('CSP probe');
  }
  if (context) {
    await context.close().catch(() => {});
  }
  step('close');
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = result.error ? 1 : 0;
}

// schemeHeadings returns the Authorize dialog's scheme containers with their
// headings, whitespace folded.
export async function schemeHeadings(dialog) {
  const out = [];
  for (const c of await dialog.locator('.auth-container').all()) {
    // A scheme Swagger UI has no form for (http DPoP) has no heading.
    const h4 = c.locator('h4').first();
    const text = (await h4.count()) > 0 ? await h4.textContent() : '(no form) ' + (await c.textContent()).slice(0, 60);
    out.push({ container: c, heading: text.replace(/\s+/g, ' ').trim() });
  }
  return out;
}

// tryItOut opens the operation POST path, clicks "Try it out" and fills
// the body, and returns the operation.
export async function tryItOut(page, path, body) {
  const op = page.locator('.opblock.opblock-post').filter({
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  });
  await op.locator('.opblock-summary').first().click();
  await op.locator('button.try-out__btn').click();
  await op.locator('textarea.body-param__text').fill(body);
  return op;
}

// responseBody returns the body Swagger UI shows for op's last answer,
// parsed if it is JSON.
export async function responseBody(op) {
  const body = await op.locator('.live-responses-table tr.response .response-col_description pre').first().textContent();
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

// execute clicks the operation's Execute button, waits for the server's
// answer and returns the status Swagger UI shows for it.
export async function execute(page, op) {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/persons');
  await op.locator('button.execute').click();
  const want = String((await answered).status());
  const status = op.locator('.live-responses-table tr.response .response-col_status').first();
  let shown = '';
  for (const deadline = Date.now() + stepTimeout; Date.now() < deadline;) {
    shown = ((await status.textContent({ timeout: stepTimeout }).catch(() => '')) ?? '').trim();
    if (shown === want) break;
    await page.waitForTimeout(50);
  }
  return shown;
}

// probeCSP loads an image from an origin the policy does not allow, to show
// that the page's policy is enforced and that its violations reach both
// lists; it takes the probe's own entries out of them again and returns
// what it saw of it.
async function probeCSP(page, result) {
  const url = 'http://csp-probe.invalid/probe.png';
  const seen = () => result.cspViolations.some((v) => v.blockedURI === url);
  await page.evaluate((src) => {
    const img = document.createElement('img');
    img.src = src;
    document.body.appendChild(img);
  }, url);
  for (const deadline = Date.now() + stepTimeout; !seen() && Date.now() < deadline;) {
    await page.waitForTimeout(20);
  }
  // The console message may come a moment after the event.
  await page.waitForTimeout(200);
  const v = result.cspViolations.find((v) => v.blockedURI === url);
  const logged = result.consoleErrors.some((m) => m.text.includes(url));
  result.cspViolations = result.cspViolations.filter((v) => v.blockedURI !== url);
  result.consoleErrors = result.consoleErrors.filter((m) => !m.text.includes(url));
  result.failedRequests = result.failedRequests.filter((r) => !r.includes(url));
  return { violated: v ? v.effectiveDirective : '', logged };
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}
