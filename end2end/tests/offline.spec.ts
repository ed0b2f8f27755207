import { test, expect } from "@playwright/test";
import { serverEvents } from "./events";
import {
  connection,
  ensurePlan,
  failOnPageErrors,
  registerMember,
  sellMembership,
  signIn,
  uniqueName,
  waitForOfflineReady,
} from "./helpers";

test("a member registered and checked in offline survives a reload and syncs when the network returns", async ({ browser, request }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await waitForOfflineReady(page);
  await expect(connection(page)).toHaveText("Online");
  await ensurePlan(page);

  await context.setOffline(true);
  await expect(connection(page)).toHaveText("Offline");
  const name = uniqueName("Anna");
  await registerMember(page, name, "anna@example.be", "+32 470 12 34 56");
  await sellMembership(page);
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "3");

  // Reload while still offline, on a route the browser never loaded from the network.
  await page.reload();
  await expect(page.getByTestId("member-name")).toHaveText(name);
  await expect(page.getByTestId("timeline").locator("li")).toHaveCount(3);
  await expect(page.getByTestId("timeline").locator("li.pending")).toHaveCount(3);
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "3");
  await expect(connection(page)).toHaveText("Offline");

  await page.goto("/check-ins");
  await expect(page.getByTestId("check-ins-today")).toContainText(name);
  await expect(page.getByTestId("check-ins-today").locator("li.pending")).toHaveCount(1);

  await context.setOffline(false);
  await expect(connection(page)).toHaveText("Online");
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0", { timeout: 30_000 });
  await expect(page.getByTestId("check-ins-today").locator("li.pending")).toHaveCount(0);

  const events = await serverEvents(request);
  const registered = events.find((e) => e.type === "MemberRegistered" && e.data.name === name);
  expect(registered, "the server's pull returns the registration").toBeTruthy();
  expect(registered.data.email).toBe("anna@example.be");
  const checkIns = events.filter((e) => e.type === "MemberCheckedIn" && e.stream === registered.stream);
  expect(checkIns).toHaveLength(1);
  expect(checkIns[0].position).toBeGreaterThan(registered.position);
  noErrors();
  await context.close();
});

test("every route reloads with no network, including routes never opened online", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await waitForOfflineReady(page);
  await context.setOffline(true);
  const routes: [string, RegExp][] = [
    ["/check-ins", /check-ins? today/],
    ["/members/new", /Register a member/],
    ["/members/01900000-0000-7000-8000-000000000000", /not on this device/],
    ["/members", /Members/],
    ["/", /Dashboard/],
    ["/login", /Sign in another staff member/],
    ["/no/such/page", /No such page/],
  ];
  for (const [route, text] of routes) {
    await page.goto(route);
    await expect(page.locator("main"), route).toContainText(text);
    await page.reload();
    await expect(page.locator("main"), `${route} after reload`).toContainText(text);
  }
  // Client-side navigation works offline too.
  await page.getByRole("link", { name: "Today" }).click();
  await expect(page).toHaveURL(/\/check-ins$/);
  noErrors();
  await context.close();
});

test("a check-in twice within the window is refused with the wait, and stored once", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await waitForOfflineReady(page);
  const name = uniqueName("Cleo");
  await ensurePlan(page);
  await registerMember(page, name);
  await sellMembership(page);
  // A double tap: the second tap changes nothing on screen, and one check-in is stored.
  await page.getByTestId("check-in").dblclick();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");
  const at = await page.evaluate(() => new Date());
  // From then on the desk hears, before anyone taps, when the member may check in again, in
  // clock times, and the button waits for it; a reload changes nothing.
  await page.reload();
  await expect(page.getByTestId("member-name")).toHaveText(name);
  const hm = (d: Date) => `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  const again = new Date(at.getTime() + 10 * 60_000);
  await expect(page.getByTestId("entry")).toHaveAttribute("data-reason", "already_checked_in");
  await expect(page.getByTestId("entry-reason")).toHaveText(
    // After 23:50 the time falls on the next day, which the message then names ("1 Dec 00:01").
    new RegExp(
      `^already checked in at \\d\\d:\\d\\d — possible again at (\\d{1,2} [A-Z][a-z]{2} )?(${hm(again)}|${hm(new Date(again.getTime() - 60_000))})$`,
    ),
  );
  await expect(page.getByTestId("check-in")).toBeDisabled();
  await expect(page.getByTestId("timeline").locator('li[data-type="MemberCheckedIn"]')).toHaveCount(1);
  await context.close();
});
