#!/usr/bin/env node
// End-to-end scenarios against the real app binary in its real webview:
// WebdriverIO 9 remote() -> tauri-driver (port 4444) -> WebKitWebDriver -> the app.
//
//   SQUEEZEDESK_APP=/abs/path/to/app  xvfb-run -a node tests/e2e/run.mjs
//
// Env: SQUEEZEDESK_APP (required, the built binary), TAURI_DRIVER (default `tauri-driver`),
// SQUEEZEDESK_DB (default: a fresh temp file), E2E_TIMEOUT_MS (per wait, default 120000),
// E2E_ONLY (comma-separated scenario names to run), E2E_SCREENSHOTS (folder, default docs/screenshots),
// E2E_WINDOW (window size, default 1280x800).
//
// Dry run without the app (checks the scenarios themselves in the same engine, WebKitGTK):
// serve ui/dist with the mock backend (`node ui/dev/serve.mjs`), then
//   E2E_MOCK_URL=http://127.0.0.1:5174/ xvfb-run -a node tests/e2e/run.mjs
// which drives WebKit's MiniBrowser through WebKitWebDriver; screenshots then go to a temp folder.
// Screenshots of every view go to docs/screenshots/<view>.png. Ends with "N passed, N failed".
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const fixturesKb = join(repo, 'tests', 'fixtures', 'kb');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 120000);
const PORT = 4444;

function log(...args) {
  console.log('[e2e]', ...args);
}

const mockUrl = process.env.E2E_MOCK_URL || '';
const app = process.env.SQUEEZEDESK_APP ? resolve(process.env.SQUEEZEDESK_APP) : '';
if (!mockUrl && (!app || !existsSync(app))) {
  console.error(`[e2e] SQUEEZEDESK_APP must name the built app binary (got ${JSON.stringify(process.env.SQUEEZEDESK_APP ?? '')})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'squeezedesk-e2e-'));
const db = process.env.SQUEEZEDESK_DB || join(work, 'squeezedesk.db');
const exportDir = join(work, 'exports');
const shots = resolve(process.env.E2E_SCREENSHOTS || (mockUrl ? join(work, 'screenshots') : join(repo, 'docs', 'screenshots')));
mkdirSync(shots, { recursive: true });
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const [WIN_W, WIN_H] = (process.env.E2E_WINDOW || '1280x800').split('x').map(Number);

// ---- tauri-driver ----
// tauri-driver has no per-session environment: the app inherits it from tauri-driver
// (through WebKitWebDriver), so SQUEEZEDESK_DB and SQUEEZEDESK_EXPORT_DIR are set here.
const driverBin = mockUrl ? process.env.WEBKIT_DRIVER || 'WebKitWebDriver' : process.env.TAURI_DRIVER || 'tauri-driver';
const driver = spawn(driverBin, mockUrl ? [`--port=${PORT}`] : ['--port', String(PORT)], {
  env: { ...process.env, SQUEEZEDESK_DB: db, SQUEEZEDESK_EXPORT_DIR: exportDir },
  stdio: ['ignore', 'inherit', 'inherit'],
});
let driverExited = false;
driver.on('exit', (code, signal) => {
  driverExited = true;
  if (code !== 0 && signal === null) log(`tauri-driver exited with ${code}`);
});
driver.on('error', (e) => {
  driverExited = true;
  log(`cannot start ${driverBin}: ${e.message}`);
});

async function waitForDriver() {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (driverExited) throw new Error(`${driverBin} exited before listening on port ${PORT}`);
    try {
      const r = await fetch(`http://127.0.0.1:${PORT}/status`);
      if (r.ok || r.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${driverBin} did not listen on port ${PORT} within 30 s`);
}

// ---- helpers ----
let browser;
const sel = (id) => `[data-testid="${id}"]`;
const $t = (id) => browser.$(sel(id));

async function nav(view) {
  const b = await $t(`nav-${view}`);
  await b.waitForClickable({ timeout: TIMEOUT });
  await b.click();
  await browser.waitUntil(
    async () => browser.execute((id) => !document.querySelector(`[data-testid="view-${id}"]`)?.hidden, view),
    { timeout: TIMEOUT, timeoutMsg: `view ${view} did not show` },
  );
}

async function text(id) {
  return browser.execute((s) => document.querySelector(s)?.textContent ?? null, sel(id));
}

async function attr(id, name) {
  return browser.execute((s, n) => document.querySelector(s)?.getAttribute(n) ?? null, sel(id), name);
}

async function typeInto(id, value) {
  const el = await $t(id);
  await el.waitForDisplayed({ timeout: TIMEOUT });
  await el.click();
  await el.clearValue();
  await el.setValue(value);
}

/** The error banner must be hidden; its text is the failure message otherwise. */
async function noErrorBanner() {
  const msg = await browser.execute((s) => {
    const b = document.querySelector(s);
    return b && !b.hidden ? b.textContent : null;
  }, sel('error-banner'));
  if (msg) throw new Error(`error banner shown: ${msg}`);
}

/** Hides a banner left over from an earlier step, so each scenario judges only its own errors. */
async function dismissBanner() {
  await browser.execute((s) => {
    const b = document.querySelector(s);
    if (b && !b.hidden) b.querySelector('[data-testid="error-dismiss"]')?.click();
  }, sel('error-banner'));
}

/** Waits until the core answers `status` (the engine may still be loading the model). */
async function waitForEngine() {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < TIMEOUT) {
    const r = await browser.execute(() =>
      window.__TAURI_INTERNALS__.invoke('status', { recent: 1 }).then(
        (s) => ({ ok: true, model: s?.backend?.model, provider: s?.backend?.provider?.active }),
        (e) => ({ ok: false, error: String(e) }),
      ),
    );
    if (r.ok) {
      log(`engine ready: ${r.model} on ${r.provider} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    last = r.error;
    await browser.pause(500);
  }
  throw new Error(`the engine did not answer status: ${last}`);
}

async function screenshot(view) {
  const file = join(shots, `${view}.png`);
  await browser.pause(400); // let the webview paint the last change
  await browser.saveScreenshot(file);
  log(`screenshot ${file}`);
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// ---- scenarios ----
const scenarios = [
  {
    name: 'knowledge',
    title: 'Knowledge: import tests/fixtures/kb, progress reaches the end, "forgot password" finds "Reset your password"',
    async run() {
      await nav('knowledge');
      await typeInto('kb-import-path', fixturesKb);
      await (await $t('kb-import-button')).click();
      await browser.waitUntil(async () => (await attr('kb-progress', 'data-finished')) === 'true', {
        timeout: TIMEOUT,
        interval: 250,
        timeoutMsg: `import did not finish: ${await text('kb-progress-label')}`,
      });
      const done = Number(await attr('kb-progress', 'data-done'));
      const total = Number(await attr('kb-progress', 'data-total'));
      const value = await browser.execute((s) => [document.querySelector(s).value, document.querySelector(s).max], sel('kb-progress'));
      log(`import: ${await text('kb-progress-label')}`);
      assert(total > 0, 'the import found no files');
      assert(done === total, `progress stopped at ${done} / ${total}`);
      assert(value[0] === value[1], `progress bar at ${value[0]} of ${value[1]}`);
      await noErrorBanner();
      await typeInto('kb-search-input', 'forgot password');
      await (await $t('kb-search-button')).click();
      await browser.waitUntil(async () => (await text('kb-results'))?.includes('Reset your password'), {
        timeout: TIMEOUT,
        timeoutMsg: `search did not find "Reset your password": ${await text('kb-results')}`,
      });
      log(`first hit: ${await text('kb-hit-1')}`);
      if (mockUrl) log('mock calls:', JSON.stringify(await browser.execute(() => window.__mockCalls)));
      await noErrorBanner();
      await screenshot('knowledge');
    },
  },
  {
    name: 'chat',
    title: 'Chat: streamed answer with [1]; the citation opens "Lost or stolen card"',
    async run() {
      await nav('chat');
      // Count how many times the answer changed while streaming (reported, not asserted:
      // a fast answer may arrive in one frame).
      await browser.execute(() => {
        window.__e2eUpdates = 0;
        new MutationObserver(() => window.__e2eUpdates++).observe(document.querySelector('[data-testid="chat-messages"]'), {
          subtree: true,
          childList: true,
          characterData: true,
        });
      });
      await typeInto('chat-input', 'my card was stolen, what do I do?');
      // Live chips appear while typing (debounced analyze).
      await browser
        .waitUntil(async () => !!(await text('chip-intent')), { timeout: 10000 })
        .then(async () => log(`live chips: ${await text('live-chips')}`))
        .catch(() => log('live chips did not appear within 10 s'));
      await (await $t('chat-send')).click();
      await browser.waitUntil(async () => !!(await browser.$(sel('chat-meta')).isExisting()), {
        timeout: TIMEOUT,
        timeoutMsg: `no finished answer: ${await text('chat-answer')}`,
      });
      const answer = await text('chat-answer');
      log(`answer: ${answer}`);
      log(`answer DOM updates while streaming: ${await browser.execute(() => window.__e2eUpdates)}`);
      assert(answer.includes('[1]'), `the answer has no [1]: ${answer}`);
      const c1 = await $t('citation-1');
      await c1.waitForClickable({ timeout: TIMEOUT });
      await c1.click();
      await browser.waitUntil(async () => (await text('article-title')) === 'Lost or stolen card', {
        timeout: TIMEOUT,
        timeoutMsg: `citation [1] opened ${JSON.stringify(await text('article-title'))}`,
      });
      await noErrorBanner();
      await screenshot('chat');
      // Export: the app writes the file itself and says where.
      await (await $t('chat-export-md')).click();
      await browser.waitUntil(async () => (await text('chat-export-path'))?.startsWith('Saved to '), {
        timeout: TIMEOUT,
        timeoutMsg: `no export path shown: ${await text('chat-export-path')}`,
      });
      const saved = (await text('chat-export-path')).slice('Saved to '.length);
      log(`export: ${saved}`);
      if (!mockUrl) {
        assert(saved.startsWith(exportDir), `exported outside ${exportDir}: ${saved}`);
        assert(readFileSync(saved, 'utf8').includes('lost-card.md'), `${saved} does not cite lost-card.md`);
      }
    },
  },
  {
    name: 'inbox',
    title: 'Inbox: a JSON-lines file with a greeting and an angry fraud report; the fraud report is above',
    async run() {
      const file = join(work, 'messages.jsonl');
      const greeting = 'Hi there! Hope you are having a lovely day.';
      const fraud = 'Someone used my card for purchases I never made! This is fraud and I am furious, fix it now!';
      writeFileSync(
        file,
        [
          JSON.stringify({ id: 'm1', from: 'ann@example.com', subject: 'Hello', text: greeting }),
          JSON.stringify({ id: 'm2', from: 'bob@example.com', subject: 'Fraud on my card!!', text: fraud }),
        ].join('\n') + '\n',
      );
      await nav('inbox');
      const input = await $t('inbox-file-input');
      await input.waitForExist({ timeout: TIMEOUT });
      let viaDriver = true;
      try {
        // W3C "send keys" to a file input selects that file (WebKitWebDriver implements it).
        await input.addValue(file);
        await browser.waitUntil(async () => !!(await text('inbox-import-status')), { timeout: 5000 });
      } catch (e) {
        // Fallback: hand the same text to the file input as a File (same JS import path).
        viaDriver = false;
        log(`file selection through the driver failed (${e.message.split('\n')[0]}); using a DataTransfer`);
        const content = [
          JSON.stringify({ id: 'm1', from: 'ann@example.com', subject: 'Hello', text: greeting }),
          JSON.stringify({ id: 'm2', from: 'bob@example.com', subject: 'Fraud on my card!!', text: fraud }),
        ].join('\n');
        await browser.execute(
          (s, c) => {
            const inputEl = document.querySelector(s);
            const dt = new DataTransfer();
            dt.items.add(new File([c], 'messages.jsonl', { type: 'application/x-ndjson' }));
            inputEl.files = dt.files;
            inputEl.dispatchEvent(new Event('change', { bubbles: true }));
          },
          sel('inbox-file-input'),
          content,
        );
      }
      log(`file chosen ${viaDriver ? 'through WebDriver' : 'through a DataTransfer'}`);
      await browser.waitUntil(async () => (await text('inbox-import-status'))?.startsWith('Imported'), {
        timeout: TIMEOUT,
        timeoutMsg: `import did not finish: ${await text('inbox-import-status')}`,
      });
      const rows = await browser.execute((s) =>
        [...document.querySelectorAll(s)].map((r) => ({ text: r.textContent, priority: Number(r.dataset.priority), intent: r.dataset.intent })),
      sel('inbox-row'));
      log('rows:', JSON.stringify(rows));
      const iFraud = rows.findIndex((r) => r.text.includes('Fraud on my card'));
      const iGreet = rows.findIndex((r) => r.text.includes('Hello'));
      assert(iFraud >= 0 && iGreet >= 0, 'both messages must be listed');
      assert(iFraud < iGreet, `the fraud report (row ${iFraud + 1}) is not above the greeting (row ${iGreet + 1})`);
      assert(rows[iFraud].priority > rows[iGreet].priority, `priorities: fraud ${rows[iFraud].priority}, greeting ${rows[iGreet].priority}`);
      const rowEls = await browser.$$(sel('inbox-row'));
      await rowEls[iFraud].click();
      await browser.waitUntil(async () => !!(await text('inbox-formula')), { timeout: TIMEOUT });
      log(`why: ${await text('inbox-formula')}`);
      await noErrorBanner();
      await screenshot('inbox');
    },
  },
  {
    name: 'intents',
    title: 'Intents: missing_delivery from 4 examples wins on "my order still hasn\'t shown up"',
    async run() {
      await nav('intents');
      await typeInto('intent-name', 'missing_delivery');
      await typeInto(
        'intent-examples',
        [
          'my package never arrived',
          "where is my order, it hasn't been delivered",
          'the parcel still has not come',
          'I am still waiting for my delivery',
        ].join('\uE007'), // Enter between lines (a raw "\n" is not a key)
      );
      await (await $t('intent-save')).click();
      await browser.waitUntil(
        async () => browser.execute(() => !!document.querySelector('[data-testid="intent-item"][data-name="missing_delivery"]')),
        { timeout: TIMEOUT, timeoutMsg: `intent not listed: ${await text('intent-list')}` },
      );
      const examples = await browser.execute(
        () => document.querySelector('[data-testid="intent-item"][data-name="missing_delivery"]')?.textContent ?? '',
      );
      assert(examples.includes('4 examples'), `stored intent: ${examples}`);
      await typeInto('intent-test-input', "my order still hasn't shown up");
      await (await $t('intent-test-button')).click();
      await browser.waitUntil(async () => browser.execute(() => !!document.querySelector('[data-testid="intent-match"]')), {
        timeout: TIMEOUT,
        timeoutMsg: `no test result: ${await text('intent-test-result')}`,
      });
      const best = await browser.execute(() => {
        const m = document.querySelector('[data-testid="intent-match"]');
        return { label: m.dataset.label, matched: m.dataset.matched, text: m.textContent };
      });
      log(`best: ${best.text}`);
      assert(best.label === 'missing_delivery', `best intent is ${best.label}`);
      assert(best.matched === 'true', 'missing_delivery did not clear the threshold');
      await noErrorBanner();
      await screenshot('intents');
    },
  },
  {
    name: 'dev',
    title: 'Dev panel: non-zero measured stage timings in the table',
    async run() {
      await nav('dev');
      const read = () =>
        browser.execute((s) =>
          [...document.querySelectorAll(`${s} tbody tr[data-stage]`)].map((r) => ({
            stage: r.dataset.stage,
            count: Number(r.querySelector('[data-col="count"]').dataset.value),
            p50: Number(r.querySelector('[data-col="p50"]').dataset.value),
            p99: Number(r.querySelector('[data-col="p99"]').dataset.value),
          })),
        sel('dev-stage-table'));
      await browser.waitUntil(async () => (await read()).some((r) => r.stage === 'inference' && r.p50 > 0), {
        timeout: 20000,
        timeoutMsg: `no inference timings: ${JSON.stringify(await read())}`,
      });
      const rows = await read();
      log('stages:', JSON.stringify(rows));
      for (const stage of ['tokenize', 'inference', 'total']) {
        const r = rows.find((x) => x.stage === stage);
        assert(r && r.count > 0 && r.p50 > 0, `stage ${stage} has no measured timing`);
      }
      const provider = await text('dev-provider');
      log(`provider: ${provider}`);
      assert(provider && provider.includes('Active'), 'provider not shown');
      // Let the chart collect a second poll.
      await browser.pause(1200);
      await noErrorBanner();
      await screenshot('dev');
    },
  },
  {
    name: 'settings',
    title: 'Settings: the current settings and models are shown',
    async run() {
      await nav('settings');
      await browser.waitUntil(async () => browser.execute(() => !!document.querySelector('[data-testid="settings-model-dir"] option')), {
        timeout: TIMEOUT,
        timeoutMsg: 'settings not loaded',
      });
      const v = await browser.execute(() => document.querySelector('[data-testid="settings-variant"]').value);
      assert(v === 'fp32' || v === 'int8', `variant ${v}`);
      await noErrorBanner();
      await screenshot('settings');
    },
  },
];

// ---- main ----
let passed = 0;
let failed = 0;
try {
  await waitForDriver();
  browser = await remote({
    hostname: '127.0.0.1',
    port: PORT,
    logLevel: 'warn',
    connectionRetryCount: 0,
    capabilities: mockUrl
      ? {
          'webkitgtk:browserOptions': { binary: process.env.MINIBROWSER || MINIBROWSER, args: ['--automation', `--geometry=${WIN_W}x${WIN_H}`] },
        }
      : {
          'tauri:options': { application: app },
        },
  });
  if (mockUrl) await browser.url(mockUrl);
  try {
    await browser.setWindowSize(WIN_W, WIN_H);
  } catch {
    /* not every driver can resize */
  }
  await browser.waitUntil(async () => browser.execute(() => !!document.querySelector('[data-testid="nav-chat"]')), {
    timeout: 60000,
    timeoutMsg: 'the UI did not load (is ui/dist embedded in the binary?)',
  });
  await waitForEngine();
  const only = (process.env.E2E_ONLY || '').split(',').filter(Boolean);
  for (const s of scenarios) {
    if (only.length && !only.includes(s.name)) continue;
    const started = Date.now();
    try {
      await dismissBanner();
      await s.run();
      passed++;
      log(`PASS ${s.name} (${((Date.now() - started) / 1000).toFixed(1)} s): ${s.title}`);
    } catch (e) {
      failed++;
      log(`FAIL ${s.name}: ${s.title}\n       ${e.message}`);
      try {
        const file = join(work, `failure-${s.name}.png`);
        await browser.saveScreenshot(file);
        log(`failure screenshot ${file}`);
      } catch {
        /* the session may be gone */
      }
    }
  }
} catch (e) {
  failed++;
  log(`setup failed: ${e.message}`);
} finally {
  try {
    await browser?.deleteSession();
  } catch {
    /* ignore */
  }
  if (!driverExited) driver.kill('SIGTERM');
  if (!process.env.SQUEEZEDESK_DB && failed === 0 && !mockUrl) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work} (database ${db})`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
