import { chromium } from 'playwright-core';
const [file, out, w, h, y] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const p = await b.newPage({ viewport: { width: +w, height: +h } });
await p.goto('file://' + file);
await p.waitForSelector('html[data-ready="true"]');
await p.evaluate(`window.scrollTo(0, ${y})`);
await p.screenshot({ path: out });
await b.close();
