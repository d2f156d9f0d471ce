// docs_browser.mjs drives the example's Swagger UI page (/docs) in headless
// Chromium, for TestDocsBrowser (docs_browser_test.go), on the shared
// harness internal/tooltest/swaggerui.mjs (launch, page, screenshot, CSP
// probe, the JSON result).
//
// Input, as JSON on stdin, besides the harness's members:
//
//	{"token": "...", "body": "{...}"}
//
// It runs POST /persons through "Try it out" once without a token and once
// after authorizing with the token, in whatever scheme the document
// declares.

import { run, step, execute, schemeHeadings, tryItOut, responseBody } from '../../../internal/tooltest/swaggerui.mjs';

await run({ unauthorizedStatus: '' }, async ({ page, input, result, authorize }) => {
  // "Try it out" without a token: the server must refuse it.
  const op = await tryItOut(page, '/persons', input.body);
  result.unauthorizedStatus = await execute(page, op);
  step('unauthorized try');

  await authorize.click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.waitFor();
  for (const { container, heading } of await schemeHeadings(dialog)) {
    result.securitySchemes.push(heading);
    const field = container.locator('input').first();
    if (await field.count() > 0) {
      await field.fill(input.token);
    }
  }
  await dialog.locator('.auth-btn-wrapper button.authorize').first().click();
  // Authorized: Swagger UI replaces the Authorize button with Logout.
  await dialog.locator('.auth-btn-wrapper button[aria-label="Remove authorization"]').first().waitFor();
  await dialog.locator('button.btn-done, button.close-modal').first().click();
  await dialog.waitFor({ state: 'detached' });
  step('authorize');

  result.tryItOutStatus = await execute(page, op);
  result.tryItOutBody = await responseBody(op);
  step('authorized try');
});
