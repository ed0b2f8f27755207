import { test, expect, Browser, Page } from "@playwright/test";
import {
  changeClubSetting,
  connection,
  ensurePlan,
  expectSynced,
  failOnPageErrors,
  openMember,
  PlanSpec,
  PLANS,
  registerMember,
  sellMembership,
  signIn,
  uniqueName,
  waitForOfflineReady,
} from "./helpers";
import { freshDatabase, OwnServer } from "./server";

/** One visit, free: the member holds exactly one visit, which both desks will want to use. */
const ONE_VISIT: PlanSpec = { id: "0190a000-0000-7000-8000-0000000e2e31", name: "E2E 1-visit card", months: 1, visits: 1, priceCents: 0 };

/** A front desk of its own (a browser profile: its own device), signed in and ready to work offline. */
async function desk(browser: Browser, baseURL?: string, { clock = false } = {}) {
  const context = await browser.newContext(baseURL ? { baseURL } : {});
  if (clock) await context.clock.install();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await waitForOfflineReady(page);
  await expect(connection(page)).toHaveText("Online");
  return { context, page, noErrors };
}

type Desk = Awaited<ReturnType<typeof desk>>;

async function offline(...desks: Desk[]) {
  for (const { context, page } of desks) {
    await context.setOffline(true);
    await expect(connection(page)).toHaveText("Offline");
  }
}

/** Back online, one after the other (the order decides which change reached the server first). */
async function reconnect(...desks: Desk[]) {
  for (const { context, page } of desks) {
    await context.setOffline(false);
    await expect(connection(page)).toHaveText("Online");
    await expectSynced(page);
  }
}

/** Reloads the member's page while offline: what the desk did is on its device. */
async function reloadOffline(page: Page, name: string, pending: number) {
  await page.reload();
  await expect(page.getByTestId("member-name")).toHaveText(name);
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", String(pending));
}

async function checkIn(page: Page) {
  await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", /^(allow|warn)$/);
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");
}

test("two offline desks both let a member in on the card's last visit: one counts, the other is a correction on both desks", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  // A club of its own, whose duplicate window is 1 minute: the second desk's visit (its clock
  // moved on past the window) is a visit of its own, not a duplicate of the first one.
  const server = new OwnServer(3131, freshDatabase("desks"));
  await server.start();
  const desks: Desk[] = [];
  try {
    const a = await desk(browser, server.url, { clock: true });
    desks.push(a);
    await ensurePlan(a.page, ONE_VISIT);
    await changeClubSetting(a.page, { setting: "duplicate_window_minutes", value: 1 }, '"duplicate_window_minutes","value":1}');
    const b = await desk(browser, server.url, { clock: true });
    desks.push(b);
    await ensurePlan(b.page, ONE_VISIT);
    await changeClubSetting(b.page, { setting: "duplicate_window_minutes", value: 1 }, '"duplicate_window_minutes","value":1}');

    const name = uniqueName("Lotte");
    await registerMember(a.page, name);
    await sellMembership(a.page, ONE_VISIT, { startToday: true });
    await expectSynced(a.page);
    await openMember(b.page, name);
    for (const { page } of [a, b]) {
      const card = page.getByTestId("membership").filter({ hasText: ONE_VISIT.name });
      await expect(card.getByTestId("membership-visits")).toHaveText("1 of 1 visits left", { timeout: 15_000 });
      await expect(page.getByTestId("entry-reason")).toHaveText("this is the last visit on the card");
    }

    await offline(a, b);
    // Each desk decides on what it has: the last visit, let in.
    await checkIn(a.page);
    await b.page.clock.fastForward(65_000);
    await checkIn(b.page);
    // B reloads while offline: its check-in is on the device, and the card is used up there.
    await reloadOffline(b.page, name, 1);
    await expect(b.page.getByTestId("membership").getByTestId("membership-visits")).toHaveText("0 of 1 visits left");

    // A reaches the server first; B's visit is then re-decided on a used-up card.
    await reconnect(a, b);
    for (const { page } of [a, b]) {
      const card = page.getByTestId("membership").filter({ hasText: ONE_VISIT.name });
      await expect(card.getByTestId("membership-visits")).toHaveText("0 of 1 visits left", { timeout: 15_000 });
      const timeline = page.getByTestId("timeline");
      await expect(timeline.locator('li[data-type="MemberCheckedIn"]')).toHaveCount(1, { timeout: 15_000 });
      await expect(timeline.locator('li[data-type="MemberCheckInNotCounted"]')).toContainText(
        "not counted: another desk used the card's last visit first",
      );
      await expect(page.locator(".member-head .last")).toContainText("1 in total");
    }
    // B's "Checked in" is not what the server kept: B is told, and its inbox says so.
    await expect(b.page.getByTestId("member-message")).toHaveCount(0);
    await expect(b.page.getByTestId("member-decided")).toContainText("another desk used the card's last visit first");
    await expect(a.page.getByTestId("sync-inbox")).toHaveCount(0);
    await expect(b.page.getByTestId("sync-inbox")).toHaveAttribute("data-corrections", "1");
    await b.page.getByTestId("sync-inbox").click();
    await expect(b.page).toHaveURL(/\/inbox$/);
    const entry = b.page.getByTestId("inbox-entry");
    await expect(entry).toHaveAttribute("data-kind", "correction");
    await expect(entry).toContainText(name);
    await expect(entry).toContainText("another desk used the card's last visit first");
    await entry.getByTestId("inbox-ok").click();
    await expect(b.page.getByTestId("inbox-empty")).toBeVisible();
    for (const d of desks) d.noErrors();
  } finally {
    for (const d of desks) await d.context.close();
    await server.stop();
  }
});

test("one desk freezes a membership while another cancels it, both offline: the later one waits in its inbox, is settled there, and both desks agree", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const a = await desk(browser);
  const b = await desk(browser);
  try {
    await ensurePlan(a.page, PLANS.monthly);
    await ensurePlan(b.page, PLANS.monthly);
    const name = uniqueName("Femke");
    await registerMember(a.page, name);
    await sellMembership(a.page, PLANS.monthly);
    await expectSynced(a.page);
    await openMember(b.page, name);
    const membershipOf = (page: Page) => page.getByTestId("membership").filter({ hasText: PLANS.monthly.name });
    for (const { page } of [a, b]) await expect(membershipOf(page)).toHaveAttribute("data-status", "active", { timeout: 15_000 });

    await offline(a, b);
    // A freezes it for two weeks from today.
    const frozen = membershipOf(a.page);
    await frozen.getByRole("button", { name: "Freeze…" }).click();
    await frozen.getByTestId("freeze-confirm").click();
    await expect(frozen).toHaveAttribute("data-status", "frozen");
    // B cancels it from today.
    const cancelled = membershipOf(b.page);
    await cancelled.getByRole("button", { name: "Cancel membership…" }).click();
    await cancelled.getByLabel("Reason (kept in the timeline)").fill("Moving abroad");
    await cancelled.getByTestId("cancel-ask").click();
    await cancelled.getByTestId("cancel-confirm").click();
    await expect(cancelled).toHaveAttribute("data-status", "cancelled");
    // A reloads while offline: the freeze is on its device.
    await reloadOffline(a.page, name, 1);
    await expect(membershipOf(a.page)).toHaveAttribute("data-status", "frozen");

    // The cancel reaches the server first; the freeze, of a membership changed meanwhile, is A's to settle.
    await reconnect(b, a);
    await expect(a.page.getByTestId("sync-inbox")).toHaveAttribute("data-conflicts", "1", { timeout: 15_000 });
    await expect(b.page.getByTestId("sync-inbox")).toHaveCount(0);
    await expect(a.page.getByTestId("member-decided")).toBeVisible();
    await a.page.getByTestId("sync-inbox").click();
    await expect(a.page).toHaveURL(/\/inbox$/);
    const entry = a.page.getByTestId("inbox-entry");
    await expect(entry).toHaveAttribute("data-kind", "conflict");
    await expect(entry).toContainText(name);
    await expect(entry).toContainText("Not accepted: another desk changed this first");
    // Applying the freeze on top would be refused, the membership being cancelled: it is not
    // offered, and the entry says why. Discarding it is what is left.
    await expect(entry.getByTestId("inbox-blocked")).toHaveText(
      "It cannot be applied on top as things stand: This membership is cancelled",
    );
    await expect(entry.getByTestId("inbox-apply")).toHaveCount(0);
    await entry.getByTestId("inbox-discard").click();
    await expect(a.page.getByTestId("inbox-empty")).toBeVisible();
    await expect(a.page.getByTestId("sync-inbox")).toHaveCount(0);
    await expectSynced(a.page);

    await openMember(a.page, name);
    for (const { page } of [a, b]) {
      await expect(membershipOf(page)).toHaveAttribute("data-status", "cancelled", { timeout: 15_000 });
      await expect(page.getByTestId("timeline").locator('li[data-type="MembershipCancelled"]')).toHaveCount(1);
      await expect(page.getByTestId("timeline").locator('li[data-type="MembershipFrozen"]:not(.settled)')).toHaveCount(0);
      await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "deny");
    }
    a.noErrors();
    b.noErrors();
  } finally {
    await a.context.close();
    await b.context.close();
  }
});
