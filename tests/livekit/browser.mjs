// Headless Chromium (Debian's, driven by playwright-core; no browser download) on the join page that
// tools/local/join_page.py serves: from an allowed origin it logs in with clients/js, fetches a token from the
// token endpoint and joins the room with livekit-client over WebRTC; from another origin the login fails;
// a locked account's Retry-After is read by the page's script. Prints one JSON object of what it saw.
// Input: LIVEKIT_BROWSER_TEST (JSON) from tests/livekit/test_browser.py; it prints {joined} once in the room
// and waits for a line on stdin before it goes on.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const config = JSON.parse(process.env.LIVEKIT_BROWSER_TEST);
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection', // else WebRTC gathers no loopback candidate
];

async function openPage(context, origin, console) {
  const page = await context.newPage();
  page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => console.push(`pageerror: ${error.message}`));
  await page.goto(`${origin}/?${new URLSearchParams(config.form)}`);
  await page.waitForFunction(() => window.pageReady === true);
  return page;
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
const result = { console: { allowed: [], disallowed: [] } };
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: config.chromium,
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 900, height: 600 },
});
try {
  const allowed = await openPage(context, config.allowed_origin, result.console.allowed);
  result.allowed = await allowed.evaluate((form) => window.joinRoom(form), config.form);
  result.allowed.status_text = await allowed.textContent('#status');
  await allowed.screenshot({ path: config.screenshot });
  // Stay in the room until the test's participant has seen this one arrive (it answers on stdin).
  console.log(JSON.stringify({ joined: result.allowed.state }));
  await lines.next();
  result.locked = [];
  for (let attempt = 0; attempt <= config.lockout_threshold; attempt += 1) {
    result.locked.push(await allowed.evaluate((login) => window.rawLogin(login), config.locked_login));
  }
  await allowed.evaluate(() => window.room?.disconnect());

  const disallowed = await openPage(context, config.disallowed_origin, result.console.disallowed);
  result.disallowed = await disallowed.evaluate((form) => window.joinRoom(form), config.form);
} finally {
  lines.return?.();
  process.stdin.destroy();
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
