#!/usr/bin/env node
// The browser-side figures of issues 12 and 13, in Chromium, with a 20,000-member club on the device:
//   (a) search: keystroke in the members search box -> the list rendered, p95 over >= 50 keystrokes
//       (performance.now() at the input event, to the first frame after the list's last DOM change);
//   (b) the dashboard's computation on the device (`data-compute-ms` on its root element), over
//       reloads and over visits by the app's own navigation, p50 and p95;
//   (c) the week's timetable (500 classes at 20,000 members): a click on "Previous week" / "Next
//       week" -> every class row of the other week rendered (performance.now() at the click, to the
//       first frame after the timetable's last DOM change; the last change itself is shown too, what
//       the frame adds being style, layout and paint), a visit from the menu the same way, the
//       week's computation on the device (`data-compute-ms` on the timetable), and a reload of
//       /classes to the rows rendered (from the navigation's start: the app's whole start included).
// It starts the release server on a fresh SQLite database, fills it with `faraday demo`, signs in
// as the front desk and waits until the device has every event before measuring.
//
// Run after `cargo leptos build --release` (needs end2end's npm packages and Debian's Chromium):
//   node bench/browser.mjs
// Environment: FARADAY_BIN (default $CARGO_TARGET_DIR/release/faraday), LEPTOS_SITE_ROOT (default
// target/site), BENCH_MEMBERS (20000), BENCH_VISITS (10 reloads + 10 visits), BENCH_SWITCHES (week
// switches, 30), BENCH_ONLY (a comma-separated choice of search,dashboard,timetable; all by default),
// BENCH_PORT (3123), CHROMIUM_PATH (/usr/bin/chromium). No figure is asserted: it prints them.
import { createRequire } from "node:module";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { chromium } = createRequire(path.join(root, "end2end", "package.json"))("@playwright/test");

const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(homedir(), ".cache/faraday/target");
const bin = path.resolve(process.env.FARADAY_BIN ?? path.join(targetDir, "release/faraday"));
const siteRoot = path.resolve(root, process.env.LEPTOS_SITE_ROOT ?? "target/site");
const members = Number(process.env.BENCH_MEMBERS ?? 20_000);
const visits = Number(process.env.BENCH_VISITS ?? 10);
const switches = Number(process.env.BENCH_SWITCHES ?? 30);
const only = new Set((process.env.BENCH_ONLY ?? "search,dashboard,timetable").split(",").map((s) => s.trim()));
const port = Number(process.env.BENCH_PORT ?? 3123);
const base = `http://127.0.0.1:${port}`;
const password = "bench-password-of-the-demo";
// What staff type: parts of names (accents left out, as people type them), a phone prefix; each
// typed key by key, then cleared (select all, Backspace: the whole list comes back).
const queries = ["zoe", "lukasz", "jose", "muller", "renee", "soren", "garcia", "0151", "obrien", "sahin", "nguyen", "ines"];

const dir = mkdtempSync(path.join(tmpdir(), "faraday-bench-"));
const env = { ...process.env, DATABASE_URL: `sqlite://${dir}/bench.db`, FARADAY_DEMO_PASSWORD: password, RUST_LOG: "info" };
let server;
let browser;

const ms = (x) => `${x.toFixed(1)} ms`;
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const summary = (values) => ({
  n: values.length,
  p50: percentile(values, 50),
  p95: percentile(values, 95),
  max: Math.max(...values),
});
const line = (name, s, target) =>
  console.log(`${name.padEnd(46)} n=${String(s.n).padStart(3)}  p50 ${ms(s.p50).padStart(9)}  p95 ${ms(s.p95).padStart(9)}  max ${ms(s.max).padStart(9)}  (target ${target})`);

async function main() {
  let t = performance.now();
  console.log(`faraday demo --members ${members} into ${env.DATABASE_URL}`);
  const printed = execFileSync(bin, ["demo", "--members", String(members)], { env, stdio: ["ignore", "pipe", "inherit"] });
  console.log(printed.toString().split("\n")[0]);
  console.log(`demo: ${seconds(t)}`);

  server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--site-root", siteRoot], {
    env: { ...env, RUST_LOG: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; ; i++) {
    const up = await fetch(`${base}/api/health`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 300) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ baseURL: base, serviceWorkers: "allow", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));

  t = performance.now();
  await page.goto("/login");
  await page.getByLabel("Email").fill("desk@demo.club");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByTestId("staff-name").waitFor({ timeout: 60_000 });
  await waitForEverything(page);
  console.log(`sign-in to every event on the device (bootstrap): ${seconds(t)}`);

  const search = only.has("search") ? await searchKeystrokes(page) : null;
  const boards = only.has("dashboard") ? await dashboards(page) : null;
  const timetable = only.has("timetable") ? await timetables(page) : null;

  console.log("");
  console.log(`Chromium ${browser.version()}, ${members.toLocaleString("en-US")} members on the device`);
  if (search) line("search keystroke -> list rendered", summary(search), "p95 < 100 ms");
  if (boards) {
    line("dashboard computed, after a reload", summary(boards.reloads), "< 200 ms");
    line("dashboard computed, visited from the menu", summary(boards.navigations), "< 200 ms");
    line("dashboard computed, all", summary([...boards.reloads, ...boards.navigations]), "< 200 ms");
  }
  if (timetable) {
    console.log(`timetable: weeks of ${timetable.classes.join(" and ")} classes`);
    line("week switched -> every class row rendered", summary(timetable.switched), "< 200 ms");
    line("  of which: click -> the last DOM change", summary(timetable.built), "");
    line("timetable visited from the menu -> rows", summary(timetable.visited), "< 200 ms");
    line("week computed (data-compute-ms), switches", summary(timetable.computed), "< 200 ms");
    line("reload of /classes -> rows (app start incl.)", summary(timetable.reloaded), "(not a target)");
  }
}

/** Until the device has received and applied every event of the club (and holds every member). */
async function waitForEverything(page) {
  const deadline = Date.now() + 60 * 60_000;
  let last = "";
  for (;;) {
    const progress = await page.getByTestId("sync-progress").textContent({ timeout: 1_000 }).catch(() => null);
    const synced = await page.getByTestId("sync-last").textContent({ timeout: 1_000 }).catch(() => null);
    const held = await page.locator("[data-members]").getAttribute("data-members", { timeout: 1_000 }).catch(() => null);
    const state = `${progress ?? ""} ${synced ?? ""} ${held ?? "?"} members`;
    if (state !== last) console.log(`  ${state.trim()}`);
    last = state;
    if (!progress && synced?.startsWith("synced") && Number(held) === members) return;
    if (Date.now() > deadline) throw new Error(`the device did not catch up: ${state}`);
    await page.waitForTimeout(2_000);
  }
}

/** (a): every keystroke that changed the list, from its input event to the frame after the change. */
async function searchKeystrokes(page) {
  await page.getByRole("link", { name: "Members", exact: true }).click();
  const box = page.getByLabel("Search members");
  await box.waitFor();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="member-count"]')?.dataset.total) > n * 0.5, members);
  await page.evaluate(() => {
    const b = (window.__bench = { t0: null, frame: null, lastChange: 0 });
    document.addEventListener(
      "input",
      (e) => {
        if (e.target.id !== "member-search") return;
        b.t0 = performance.now();
        b.frame = null;
      },
      true,
    );
    const changed = () => {
      if (b.t0 === null) return;
      b.lastChange = performance.now();
      requestAnimationFrame(() => {
        if (b.t0 !== null) b.frame = performance.now();
      });
    };
    const observer = new MutationObserver(changed);
    for (const id of ["member-list", "member-count"]) {
      observer.observe(document.querySelector(`[data-testid="${id}"]`), { childList: true, subtree: true, characterData: true });
    }
  });
  await box.focus();
  const samples = [];
  let unchanged = 0;
  const measure = async (key) => {
    await page.keyboard.press(key);
    const settled = await page
      .waitForFunction(() => window.__bench.frame !== null && performance.now() - window.__bench.lastChange > 150, null, { timeout: 3_000 })
      .then(() => true, () => false);
    const took = await page.evaluate(() => {
      const b = window.__bench;
      const took = b.frame === null ? null : b.frame - b.t0;
      b.t0 = null;
      b.frame = null;
      return took;
    });
    if (settled && took !== null) samples.push(took);
    else unchanged++;
  };
  for (const query of queries) {
    for (const key of query) await measure(key);
    await page.keyboard.press("ControlOrMeta+a");
    await measure("Backspace");
  }
  console.log(`search: ${samples.length} keystrokes changed the list (${unchanged} did not and are not counted)`);
  return samples;
}

/** The dashboard's `data-compute-ms` once it holds every member, after it settled. */
async function computeMs(page) {
  const board = page.getByTestId("dashboard");
  await board.waitFor({ timeout: 120_000 });
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="dashboard"]')?.dataset.members) === n, members, {
    timeout: 120_000,
  });
  // Settled: the value stays the same for half a second (the device may still be folding the store in).
  let value = null;
  for (;;) {
    const now = await board.getAttribute("data-compute-ms");
    if (now === value) return Number(value);
    value = now;
    await page.waitForTimeout(500);
  }
}

/** (b): the dashboard's computation after reloads, and after visits through the app's menu. */
async function dashboards(page) {
  const reloads = [];
  const navigations = [];
  for (let i = 0; i < visits; i++) {
    await page.goto("/dashboard");
    reloads.push(await computeMs(page));
  }
  for (let i = 0; i < visits; i++) {
    await page.getByRole("link", { name: "Members", exact: true }).click();
    await page.getByLabel("Search members").waitFor();
    await page.getByRole("link", { name: "Dashboard", exact: true }).click();
    navigations.push(await computeMs(page));
  }
  return { reloads, navigations };
}

/** The timetable's state: its week, how many classes it says it has, how many rows it shows. */
function timetableState() {
  const t = document.querySelector('[data-testid="timetable"]');
  if (!t) return null;
  return {
    week: t.dataset.week,
    classes: Number(t.dataset.classes),
    rows: t.querySelectorAll('[data-testid="class-row"]').length,
    computeMs: Number(t.dataset.computeMs),
  };
}

/** Until the timetable shows `week` (any week when null) with every row of at least `least` classes. */
async function timetableShows(page, week, least) {
  await page.waitForFunction(
    ([week, least]) => {
      const t = document.querySelector('[data-testid="timetable"]');
      const rows = t?.querySelectorAll('[data-testid="class-row"]').length;
      return t && (week === null || t.dataset.week === week) && Number(t.dataset.classes) >= least && rows === Number(t.dataset.classes);
    },
    [week, least],
    { timeout: 120_000 },
  );
  return page.evaluate(timetableState);
}

/**
 * (c): the week's timetable. Waits until this week shows every class of the club's week (the
 * device holds them all), then switches weeks by the page's own links (previous, next: both full
 * weeks of the demo), visits it from the menu, and reloads it.
 */
async function timetables(page) {
  await page.goto("/classes");
  // The demo's timetable repeats every week: this week holds as many classes as the last one.
  const here = await timetableShows(page, null, 1);
  const previousWeek = await page.getByTestId("week-prev").getAttribute("href");
  const lastWeek = new URL(previousWeek, base).searchParams.get("week");
  let expected = 0;
  for (let i = 0; ; i++) {
    const s = await page.evaluate(timetableState);
    expected = Math.max(expected, s.classes);
    if (i > 5 && s.rows === s.classes && s.classes === expected) break;
    await page.waitForTimeout(1_000);
  }
  console.log(`timetable: week of ${here.week} shows ${expected} classes; switching to ${lastWeek} and back`);

  // Timestamps in the page: the click on a week link (capturing listener), the first frame after
  // the last change anywhere in the document since.
  await page.evaluate(() => {
    const b = (window.__timetable = { t0: null, frame: null, lastChange: 0 });
    document.addEventListener(
      "click",
      (e) => {
        if (!e.target.closest?.('[data-testid="week-prev"], [data-testid="week-next"], a[href="/classes"]')) return;
        b.t0 = performance.now();
        b.frame = null;
      },
      true,
    );
    new MutationObserver(() => {
      if (b.t0 === null) return;
      b.lastChange = performance.now();
      requestAnimationFrame(() => {
        if (b.t0 !== null) b.frame = performance.now();
      });
    }).observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
  });
  const measured = async (click, week) => {
    await click();
    const s = await timetableShows(page, week, expected);
    await page.waitForFunction(() => window.__timetable.frame !== null && performance.now() - window.__timetable.lastChange > 150, null, {
      timeout: 10_000,
    });
    const [took, built] = await page.evaluate(() => {
      const b = window.__timetable;
      const took = [b.frame - b.t0, b.lastChange - b.t0];
      b.t0 = null;
      b.frame = null;
      return took;
    });
    return { took, built, computeMs: s.computeMs, classes: s.classes };
  };

  const switched = [];
  const built = [];
  const computed = [];
  const classes = new Set();
  for (let i = 0; i < switches; i++) {
    const back = i % 2 === 1;
    const m = await measured(() => page.getByTestId(back ? "week-next" : "week-prev").click(), back ? here.week : lastWeek);
    switched.push(m.took);
    built.push(m.built);
    computed.push(m.computeMs);
    classes.add(m.classes);
  }

  const visited = [];
  for (let i = 0; i < visits; i++) {
    await page.getByRole("link", { name: "Members", exact: true }).click();
    await page.getByLabel("Search members").waitFor();
    const m = await measured(() => page.getByRole("link", { name: "Classes", exact: true }).click(), here.week);
    visited.push(m.took);
    computed.push(m.computeMs);
  }

  // A reload: from the navigation's start (performance.now()'s origin) to the frame in which every
  // row of the week is there.
  const reloaded = [];
  for (let i = 0; i < visits; i++) {
    await page.goto(`/classes?week=${lastWeek}`);
    const at = await page.waitForFunction(
      ([week, least]) => {
        const t = document.querySelector('[data-testid="timetable"]');
        if (!t || t.dataset.week !== week || Number(t.dataset.classes) < least) return false;
        return t.querySelectorAll('[data-testid="class-row"]').length === Number(t.dataset.classes) && performance.now();
      },
      [lastWeek, expected],
      { timeout: 120_000, polling: "raf" },
    );
    reloaded.push(await at.jsonValue());
  }
  return { switched, built, visited, computed, reloaded, classes: [...classes] };
}

try {
  await main();
} finally {
  await browser?.close().catch(() => {});
  server?.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
