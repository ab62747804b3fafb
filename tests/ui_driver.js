// A browser for the console page's tests: Debian's chromium driven by
// playwright-core, taking one JSON command per line on stdin and
// answering one JSON line per command on stdout.  It never downloads a
// browser: CHROMIUM names the one to use.
//
// Commands: {"op": ..., ...}
//   context                  a new browser context (no cookies) and page
//   goto url                 -> {status, headers}
//   click sel | fill sel value | press key [sel] | hover sel
//   clickAt sel fx fy        click at a fraction of the element's box
//   text sel | count sel | attr sel name | visible sel
//   wait sel [state] [timeout]
//   waitFn expr [timeout]    until the page's expression is truthy
//   eval expr                the page's value of expr (JSON)
//   screenshot path | viewport width height | url
//   console                  the page's console lines and failed requests
//   quit
'use strict';
const readline = require('readline');
const { chromium } = require('playwright-core');

const TIMEOUT = 20000;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  let context = null;
  let page = null;
  let log = [];
  const fresh = async () => {
    if (context) {
      await context.close();
    }
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    log = [];
    page.on('console', (m) => log.push(m.type() + ': ' + m.text()));
    page.on('pageerror', (e) => log.push('pageerror: ' + e.message));
    page.on('requestfailed', (r) => log.push('requestfailed: ' + r.url()));
    page.on('request', (r) => log.push('request: ' + r.url()));
  };
  await fresh();
  const ops = {
    context: async () => { await fresh(); return null; },
    goto: async (c) => {
      const r = await page.goto(c.url);
      return r ? { status: r.status(), headers: await r.allHeaders() } : null;
    },
    click: async (c) => { await page.click(c.sel); return null; },
    hover: async (c) => { await page.hover(c.sel); return null; },
    fill: async (c) => { await page.fill(c.sel, c.value); return null; },
    press: async (c) => {
      if (c.sel) {
        await page.press(c.sel, c.key);
      } else {
        await page.keyboard.press(c.key);
      }
      return null;
    },
    clickAt: async (c) => {
      const b = await page.locator(c.sel).boundingBox();
      await page.mouse.click(b.x + b.width * c.fx, b.y + b.height * c.fy);
      return null;
    },
    drag: async (c) => {
      const b = await page.locator(c.sel).boundingBox();
      const y = b.y + b.height / 2;
      await page.mouse.move(b.x + b.width * c.from, y);
      await page.mouse.down();
      for (const f of c.through) {
        await page.mouse.move(b.x + b.width * f, y);
      }
      await page.mouse.up();
      return null;
    },
    text: async (c) => page.locator(c.sel).first().textContent(),
    count: async (c) => page.locator(c.sel).count(),
    attr: async (c) => page.locator(c.sel).first().getAttribute(c.name),
    visible: async (c) => page.locator(c.sel).first().isVisible(),
    wait: async (c) => {
      await page.waitForSelector(c.sel, { state: c.state || 'visible',
                                          timeout: c.timeout || TIMEOUT });
      return null;
    },
    // polled through the protocol: the page's policy forbids the eval
    // that waitForFunction would use in the page
    waitFn: async (c) => {
      const end = Date.now() + (c.timeout || TIMEOUT);
      for (;;) {
        let v = false;
        try {
          v = await page.evaluate(c.expr);
        } catch (e) {
          if (Date.now() > end) {
            throw e;
          }
        }
        if (v) {
          return null;
        }
        if (Date.now() > end) {
          throw new Error('timed out waiting for ' + c.expr);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    eval: async (c) => page.evaluate(c.expr),
    screenshot: async (c) => {
      await page.screenshot({ path: c.path });
      return null;
    },
    url: async () => page.url(),
    viewport: async (c) => {
      await page.setViewportSize({ width: c.width, height: c.height });
      return null;
    },
    console: async () => log,
  };
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const c = JSON.parse(line);
    if (c.op === 'quit') {
      break;
    }
    let answer;
    try {
      if (!(c.op in ops)) {
        throw new Error('unknown op ' + c.op);
      }
      answer = { ok: true, value: await ops[c.op](c) };
    } catch (e) {
      answer = { ok: false, error: String(e && e.message || e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
  await browser.close();
}

main().catch((e) => {
  process.stderr.write('ui_driver: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
