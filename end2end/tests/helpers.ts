import { expect, Page, request as playwrightRequest } from "@playwright/test";
import { ACCOUNTS, PASSWORD, Who } from "./accounts";
import { apiSignIn, uuidv7 } from "./events";

/**
 * Signs `who` in on the page's device through the sign-in page, and waits until they are the one
 * at the desk; leaves the page on the members list. Works for a first sign-in and for another staff member.
 */
export async function signIn(page: Page, who: Who = "desk") {
  const account = ACCOUNTS[who];
  await page.goto("/login");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("staff-name")).toHaveText(account.name);
  // The desk's start page (the dashboard), then the members list the tests start from.
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
}

/** The staff id of whoever is at the desk on this page. */
export async function staffAtDesk(page: Page): Promise<string> {
  const staff = await page.getByTestId("staff").getAttribute("data-staff");
  if (!staff) throw new Error("nobody is signed in on this page");
  return staff;
}

/** This device's id, as its store keeps it (its sessions and pushes name it). */
export async function deviceOf(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open("faraday");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const get = db.transaction("meta").objectStore("meta").get("device");
          get.onsuccess = () => {
            db.close();
            resolve(get.result.value);
          };
          get.onerror = () => reject(get.error);
        };
      }),
  );
}

/**
 * Everything this device's IndexedDB holds of the club: every event's envelope and every member
 * row, read straight from the database (not from the screen). Empty when there is no database.
 */
export async function storedOnDevice(page: Page): Promise<{ events: any[]; members: any[] }> {
  return page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes("faraday")) return { events: [], members: [] };
    return new Promise((resolve, reject) => {
      const open = indexedDB.open("faraday");
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const stores = ["events", "members"].filter((s) => db.objectStoreNames.contains(s));
        if (stores.length < 2) {
          db.close();
          return resolve({ events: [], members: [] });
        }
        const tx = db.transaction(stores);
        const events = tx.objectStore("events").getAll();
        const members = tx.objectStore("members").getAll();
        tx.oncomplete = () => {
          db.close();
          resolve({
            events: events.result.map((r: any) => JSON.parse(r.envelope)),
            members: members.result.map((r: any) => ({ ...r, state: JSON.parse(r.state) })),
          });
        };
        tx.onerror = () => reject(tx.error);
      };
    });
  });
}

/** Waits until the service worker controls the page, so that the app shell is precached. */
export async function waitForOfflineReady(page: Page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30_000 }).toBe(true);
  await expect(page.getByTestId("sync-badge")).toBeVisible();
}

/** Fails the test on any uncaught error in the page (a hydration panic shows up here). */
export function failOnPageErrors(page: Page) {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return () => expect(errors, "uncaught errors in the page").toEqual([]);
}

export function uniqueName(first: string) {
  return `${first} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Letters only: a word search never mistakes for a phone number. */
export function uniqueTag() {
  return Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join("");
}

export async function registerMember(page: Page, name: string, email = "", phone = "") {
  await page.getByRole("link", { name: "Register", exact: true }).click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Phone").fill(phone);
  await page.getByRole("button", { name: "Register member" }).click();
  await expect(page.getByTestId("member-name")).toHaveText(name);
}

/** The badge's connection state: "online", "offline", "connecting" or "unreachable". */
export function connection(page: Page) {
  return page.getByTestId("sync-connection");
}

export async function expectSynced(page: Page, timeout = 30_000) {
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0", { timeout });
}

/** Opens a member from the members page by searching for them. */
export async function openMember(page: Page, name: string) {
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await page.getByLabel("Search members").fill(name);
  await page.getByRole("link", { name: new RegExp(escape(name)) }).first().click();
  await expect(page.getByTestId("member-name")).toHaveText(name);
}

function escape(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A plan the tests sell: made once per server, through the sync API, by a manager. */
export type PlanSpec = { id: string; name: string; months: number; visits: number | null; priceCents: number };

export const PLANS = {
  /** Unlimited visits for a month, free: a member who has it is simply let in. */
  monthly: { id: "0190a000-0000-7000-8000-0000000e2e01", name: "E2E Monthly", months: 1, visits: null, priceCents: 0 },
  /** 10 visits within 6 months, 90.00. */
  card10: { id: "0190a000-0000-7000-8000-0000000e2e10", name: "E2E 10-visit card", months: 6, visits: 10, priceCents: 9_000 },
} satisfies Record<string, PlanSpec>;

/** Whether this device's store holds a club-settings event whose JSON contains `marker`. */
async function settingOnDevice(page: Page, marker: string): Promise<boolean> {
  return page.evaluate(
    (marker) =>
      new Promise<boolean>((resolve, reject) => {
        const open = indexedDB.open("faraday");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("events")) {
            db.close();
            return resolve(false);
          }
          const all = db.transaction("events").objectStore("events").getAll();
          all.onsuccess = () => {
            db.close();
            resolve(all.result.some((r: any) => r.envelope.includes('"ClubSetting') && r.envelope.includes(marker)));
          };
          all.onerror = () => reject(all.error);
        };
      }),
    marker,
  );
}

/**
 * Changes one club setting the way another desk would: a manager's `ClubSettingChanged` pushed
 * through the sync API (the same value again changes nothing), then waits until this page's
 * device has it (so it holds offline afterwards). `setting` is the setting as the log encodes it
 * (`{ setting: "duplicate_window_minutes", value: 1 }`); `marker` a piece of its JSON to look for.
 */
export async function changeClubSetting(page: Page, setting: object, marker: string) {
  if (await settingOnDevice(page, marker)) return;
  // Its own cookies: a sign-in on the page's would end the browser's sessions of this device.
  const api = await playwrightRequest.newContext({ baseURL: new URL(page.url()).origin });
  const device = "e2e-settings";
  const { club, staff } = await apiSignIn(api, device, "manager");
  const now = Date.now();
  const stream = `club-${club}`;
  const event = {
    id: uuidv7(now),
    stream,
    version: 1,
    type: "ClubSettingChanged",
    schema_version: 1,
    data: { setting },
    hlc: { ms: now, c: 0 },
    device,
    staff,
  };
  const response = await api.post("/api/sync/push", { data: { device, batches: [{ stream, parent_version: 0, events: [event] }] } });
  expect(response.status(), await response.text()).toBe(200);
  const [batch] = (await response.json()).results;
  // Refused as changing nothing: the club has it already (this device has not received it yet).
  const had = batch.status === "rejected" && /nothing was changed/.test(batch.reason);
  if (!had) expect(["accepted", "rebased", "merged"], JSON.stringify(batch)).toContain(batch.status);
  await api.dispose();
  await expect.poll(() => settingOnDevice(page, marker), { timeout: 30_000, message: `${marker} on the device` }).toBe(true);
}

/** Makes sure the club sells `plan` and that this page's device has it (see `changeClubSetting`). */
export async function ensurePlan(page: Page, plan: PlanSpec = PLANS.monthly) {
  const setting = {
    setting: "plan",
    value: {
      id: plan.id,
      terms: {
        name: plan.name,
        length: { unit: "months", n: plan.months },
        visits: plan.visits === null ? { kind: "unlimited" } : { kind: "card", n: plan.visits },
        price_cents: plan.priceCents,
      },
      on_sale: true,
    },
  };
  await changeClubSetting(page, setting, plan.id);
}

/**
 * Sells `plan` to the member whose page is open, through the member page (paid in full, if it
 * costs anything; a card starts on its first visit unless `startToday`; `start`, an ISO date,
 * sets the first day).
 */
export async function sellMembership(
  page: Page,
  plan: PlanSpec = PLANS.monthly,
  { startToday = false, start }: { startToday?: boolean; start?: string } = {},
) {
  const memberships = page.getByTestId("membership");
  const before = await memberships.count();
  await page.getByTestId("sell").click();
  const form = page.getByTestId("sell-form");
  await form.getByTestId("sell-plan").selectOption(plan.id);
  if (plan.visits !== null && (startToday || start)) await form.getByTestId("sell-first-visit").uncheck();
  if (start) await form.getByTestId("sell-start").fill(start);
  await form.getByTestId("sell-confirm").click();
  await expect(page.getByTestId("sold")).toContainText(plan.name);
  await expect(memberships).toHaveCount(before + 1);
}

/** A class as the tests schedule it (see `scheduleClass`). */
export type ClassSpec = {
  title: string;
  /** When it starts (ms since the epoch); the tests' club runs on UTC. */
  startMs: number;
  capacity: number;
  durationMin?: number;
  room?: string;
  /** The coach's option as the form lists it ("Colin Coach (coach)"); the form's first otherwise. */
  coach?: string;
};

/** A start `minutes` from now, on a 5-minute boundary (a time input holds minutes). */
export function classStart(minutesFromNow: number): number {
  const five = 5 * 60_000;
  return Math.ceil((Date.now() + minutesFromNow * 60_000) / five) * five;
}

/**
 * Schedules a class through the timetable's form, as a manager signed in on the page; leaves the
 * page on the class's page and returns its id.
 */
export async function scheduleClass(page: Page, spec: ClassSpec): Promise<string> {
  await page.getByRole("link", { name: "Classes", exact: true }).click();
  await page.getByTestId("schedule-class").click();
  const form = page.getByTestId("schedule-form");
  // A time in club time means an instant only once the club's settings (its zone) are here.
  await expect(form).toHaveAttribute("data-settings-known", "true", { timeout: 30_000 });
  const iso = new Date(spec.startMs).toISOString();
  await form.getByLabel("Title").fill(spec.title);
  if (spec.coach) await form.getByTestId("class-coach").selectOption({ label: spec.coach });
  await form.getByLabel("Date").fill(iso.slice(0, 10));
  await form.getByTestId("class-time").fill(iso.slice(11, 16));
  await form.getByTestId("class-duration").fill(String(spec.durationMin ?? 60));
  await form.getByTestId("class-capacity").fill(String(spec.capacity));
  await form.getByLabel("Room").fill(spec.room ?? "Studio 1");
  await form.getByTestId("schedule-confirm").click();
  if (spec.startMs < Date.now()) {
    // A start that has passed is asked about once, then scheduled when pressed again.
    await expect(form.getByTestId("schedule-problem")).toContainText("has passed");
    await form.getByTestId("schedule-confirm").click();
  }
  await expect(page.getByTestId("class-title")).toHaveText(spec.title);
  const id = new URL(page.url()).pathname.split("/").pop();
  if (!id) throw new Error("no class page after scheduling");
  return id;
}

/** Opens a class's page by its id and waits until this device holds the class. */
export async function openClass(page: Page, id: string, title: string) {
  await page.goto(`/classes/${id}`);
  await expect(page.getByTestId("class-title")).toHaveText(title, { timeout: 30_000 });
}

/** Books `name` into the class whose page is open; returns what the page says of it. */
export async function bookMember(page: Page, name: string) {
  const book = page.getByTestId("book");
  await book.getByTestId("book-search").fill(name);
  await book.getByTestId("book-candidate").filter({ hasText: name }).click();
  await expect(book.getByTestId("book-selected")).toContainText(name);
  await book.getByTestId("book-member").click();
  return book.getByTestId("book-outcome");
}

/** The roster row of `name` on the class page. */
export function rosterRow(page: Page, name: string) {
  return page.getByTestId("roster-member").filter({ hasText: name });
}

/** The waitlist row of `name` on the class page. */
export function waitingRow(page: Page, name: string) {
  return page.getByTestId("waiting-member").filter({ hasText: name });
}
