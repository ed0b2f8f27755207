import { test, expect, Page } from "@playwright/test";
import { serverEvents } from "./events";
import { expectSynced, registerMember, signIn, uniqueName, waitForOfflineReady } from "./helpers";

/** The members page lists `name` (searched for), without the page being reloaded. */
async function lists(page: Page, name: string) {
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await page.getByLabel("Search members").fill(name);
  await expect(page.getByRole("link", { name: new RegExp(name) })).toHaveCount(1, { timeout: 10_000 });
}

function registrationsOf(events: any[], name: string) {
  return events.filter((e) => e.type === "MemberRegistered" && e.data.name === name);
}

test("two tabs of one device show each other's changes at once, one of them syncs, and closing it hands over", async ({
  browser,
}) => {
  const device = await browser.newContext();
  const first = await device.newPage();
  await signIn(first);
  await waitForOfflineReady(first);
  // The second tab of the same browser: same store, same sign-in.
  const second = await device.newPage();
  await second.goto("/members");
  await expect(second.getByRole("heading", { name: "Members" })).toBeVisible();
  // The first tab replicates; the second waits for the job.
  const html = (page: Page) => page.locator("html");
  await expect(html(first)).toHaveAttribute("data-sync", "leading");
  await expect(html(second)).not.toHaveAttribute("data-sync", "leading");

  const fromFirst = uniqueName("Tabea");
  await registerMember(first, fromFirst);
  await lists(second, fromFirst);
  const fromSecond = uniqueName("Tobias");
  await registerMember(second, fromSecond);
  await lists(first, fromSecond);

  // Whichever tab replicates, both are sent, once, and both tabs say so.
  await expectSynced(first);
  await expectSynced(second);
  let events = await serverEvents(device.request);
  expect(registrationsOf(events, fromFirst)).toHaveLength(1);
  expect(registrationsOf(events, fromSecond)).toHaveLength(1);

  // Closed, the first tab hands the job to the other.
  await first.close();
  await expect(html(second)).toHaveAttribute("data-sync", "leading");
  const afterClose = uniqueName("Theo");
  await registerMember(second, afterClose);
  await expectSynced(second);
  events = await serverEvents(device.request);
  expect(registrationsOf(events, afterClose)).toHaveLength(1);
  await device.close();
});

test("a change another device makes reaches every tab of this one live", async ({ browser }) => {
  const device = await browser.newContext();
  const tabs = [await device.newPage(), await device.newPage()];
  await signIn(tabs[0]);
  await waitForOfflineReady(tabs[0]);
  await tabs[1].goto("/members");
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage);
  const name = uniqueName("Tilda");
  await registerMember(otherPage, name);
  await expectSynced(otherPage);
  // Only one tab holds the live stream; both show the member without a reload.
  for (const tab of tabs) await lists(tab, name);
  await other.close();
  await device.close();
});
