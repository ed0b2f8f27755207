import { expect, Page } from "@playwright/test";

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
