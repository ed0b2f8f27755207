import { expect, Page } from "@playwright/test";
import { ACCOUNTS, PASSWORD, Who } from "./accounts";

/**
 * Signs `who` in on the page's device through the sign-in page, and waits until they are the one
 * at the desk (on the members page). Works for a first sign-in and for another staff member.
 */
export async function signIn(page: Page, who: Who = "desk") {
  const account = ACCOUNTS[who];
  await page.goto("/login");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("staff-name")).toHaveText(account.name);
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
