// docs_browser.mjs drives the example's Swagger UI page (/docs) in headless
// Chromium, for TestDocsBrowser (docs_browser_test.go), on the shared
// harness internal/tooltest/swaggerui.mjs (launch, page, screenshot, CSP
// probe, the JSON result).
//
// Input, as JSON on stdin, besides the harness's members:
//
//	{"scheme": "OAuth2PasswordBearer", "username": "alice",
//	 "password": "...", "wrongPassword": "...", "body": "{...}"}
//
// In the Authorize dialog's password-flow form for the scheme it fills the
// username, ticks every scope and tries the wrong password (Swagger UI
// posts the form to the token URL itself), reads the error shown, then the
// right password, and waits for "Authorized"; it closes the dialog and runs
// POST /persons through "Try it out" with the token Swagger UI kept.

import { run, step, execute, schemeHeadings, tryItOut, responseBody } from '../../../internal/tooltest/swaggerui.mjs';

const fields = {
  passwordForm: [], // the ids of the scheme's form fields
  scopes: [], // the scopes it offers checkboxes for
  wrongPassword: '', // the error shown for the wrong password
  wrongAuthorized: false,
  rightAuthorized: false,
};

await run(fields, async ({ page, input, result, authorize }) => {
  await authorize.click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.waitFor();
  let form = null;
  for (const { container, heading } of await schemeHeadings(dialog)) {
    result.securitySchemes.push(heading);
    if (heading.startsWith(input.scheme + ' ')) {
      form = container;
    }
  }
  if (!form) {
    throw new Error(`no form for ${input.scheme} in the Authorize dialog`);
  }
  result.passwordForm = await form.locator('input:not([type=checkbox]), select').evaluateAll((els) => els.map((e) => e.id));
  const boxes = form.locator('.scopes input[type=checkbox]');
  result.scopes = await boxes.evaluateAll((els) => els.map((e) => e.dataset.value));
  // The checkboxes themselves are hidden: a user ticks their labels.
  for (const b of await boxes.all()) {
    const id = await b.getAttribute('id');
    await form.locator(`label[for="${id}"]`).click();
    if (!(await b.isChecked())) {
      throw new Error(`scope checkbox ${id} is not ticked after a click on its label`);
    }
  }
  await form.locator('#oauth_username').fill(input.username);
  const authorized = form.locator('h6', { hasText: 'Authorized' });

  // The wrong password first: /token answers 400 invalid_grant, and the
  // form shows the error and stays unauthorized.
  await form.locator('#oauth_password').fill(input.wrongPassword);
  result.wrongPassword = await authorizeWith(page, form, 400, async () => {
    await form.locator('.errors').first().waitFor();
    return (await form.locator('.errors').first().textContent()).replace(/\s+/g, ' ').trim();
  });
  result.wrongAuthorized = (await authorized.count()) > 0;
  step('wrong password');

  await form.locator('#oauth_password').fill(input.password);
  await authorizeWith(page, form, 200, async () => {
    // Authorized: the form's Authorize becomes Logout.
    await form.locator('button[aria-label="Remove authorization"]').waitFor();
  });
  result.rightAuthorized = (await authorized.count()) > 0;
  await dialog.locator('button.btn-done, button.close-modal').first().click();
  await dialog.waitFor({ state: 'detached' });
  step('right password');

  const op = await tryItOut(page, '/persons', input.body);
  result.tryItOutStatus = await execute(page, op);
  result.tryItOutBody = await responseBody(op);
  step('try it out');
});

// authorizeWith clicks the form's Authorize, checks that the token URL
// answered status, and returns what shown returns once it has.
async function authorizeWith(page, form, status, shown) {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/token');
  await form.locator('button[aria-label="Apply given OAuth2 credentials"]').click();
  const got = (await answered).status();
  if (got !== status) {
    throw new Error(`the token URL answered ${got}, not ${status}`);
  }
  return shown();
}

