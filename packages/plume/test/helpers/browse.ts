// Browses index pages in headless Chromium (Debian's chromium, driven by playwright-core):
// follows every link from a start page, checks that each page and object answers 200, and keeps
// a screenshot of the start page in the test output directory.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Where tests keep what a person may want to look at (screenshots): `$MANTLE_TEST_OUTPUT` or <repo>/test-output. */
function testOutputDir(...sub: string[]): string {
  const base =
    process.env.MANTLE_TEST_OUTPUT ?? fileURLToPath(new URL('../../../../test-output/', import.meta.url));
  return join(base, ...sub);
}

export interface Crawl {
  /** every page (index.html) visited */
  pages: string[];
  /** every object link checked (non-page) */
  objects: string[];
  /** links that did not answer 200, with what they answered */
  broken: { url: string; from: string; status: number | string }[];
  /** page → the link texts on it */
  linkTexts: Map<string, string[]>;
  screenshot: string;
}

/** Crawl from `start` (an http URL of an index.html), staying below `scope`. */
export async function crawl(start: string, scope: string, screenshotName: string): Promise<Crawl> {
  const profile = await mkdtemp(join(tmpdir(), 'plume-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1000, height: 700 },
  });
  const out: Crawl = { pages: [], objects: [], broken: [], linkTexts: new Map(), screenshot: '' };
  try {
    const page = await context.newPage();
    const queue: { url: string; from: string }[] = [{ url: start, from: '(start)' }];
    const seen = new Set<string>([start]);
    while (queue.length > 0) {
      const { url, from } = queue.shift()!;
      if (!url.endsWith('/index.html')) {
        const res = await context.request.get(url).catch((e: Error) => e);
        out.objects.push(url);
        const status = res instanceof Error ? res.message : res.status();
        if (status !== 200) out.broken.push({ url, from, status });
        continue;
      }
      const res = await page.goto(url);
      out.pages.push(url);
      if (!res || res.status() !== 200) {
        out.broken.push({ url, from, status: res?.status() ?? 'no response' });
        continue;
      }
      if (url === start) {
        await mkdir(testOutputDir('plume'), { recursive: true });
        out.screenshot = testOutputDir('plume', screenshotName);
        await page.screenshot({ path: out.screenshot, fullPage: true });
      }
      // A string runs in the page (this package's types have no DOM).
      const links = await page.evaluate<{ href: string; text: string }[]>(
        `[...document.querySelectorAll('a[href]')].map((a) => ({ href: a.href, text: a.textContent }))`,
      );
      out.linkTexts.set(
        url,
        links.map((l) => l.text),
      );
      for (const l of links) {
        if (!l.href.startsWith(scope) || seen.has(l.href)) continue;
        seen.add(l.href);
        queue.push({ url: l.href, from: url });
      }
    }
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
  return out;
}
