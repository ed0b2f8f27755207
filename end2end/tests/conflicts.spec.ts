import { test, expect, Browser, Page } from "@playwright/test";
import {
  connection,
  ensurePlan,
  expectSynced,
  failOnPageErrors,
  openMember,
  registerMember,
  sellMembership,
  signIn,
  uniqueName,
  waitForOfflineReady,
} from "./helpers";

/** Two front desks on one club, each its own browser profile: A registers the member, B finds it. */
async function twoDesks(browser: Browser, first: string) {
  const a = await browser.newContext();
  const b = await browser.newContext();
  const pageA = await a.newPage();
  const pageB = await b.newPage();
  const errorsA = failOnPageErrors(pageA);
  const errorsB = failOnPageErrors(pageB);
  for (const page of [pageA, pageB]) {
    await signIn(page);
    await waitForOfflineReady(page);
    await expect(connection(page)).toHaveText("Online");
  }
  const name = uniqueName(first);
  await ensurePlan(pageA);
  await registerMember(pageA, name, "", "0470 00 00 00");
  // Let in on an unlimited membership: what the desks do with the member is the point.
  await sellMembership(pageA);
  await expectSynced(pageA);
  await openMember(pageB, name);
  return {
    a, b, pageA, pageB, name,
    offline: async () => {
      for (const [context, page] of [[a, pageA], [b, pageB]] as const) {
        await context.setOffline(true);
        await expect(connection(page)).toHaveText("Offline");
      }
    },
    close: async () => {
      errorsA();
      errorsB();
      await a.close();
      await b.close();
    },
  };
}

async function changeDetail(page: Page, label: string, value: string) {
  const form = page.locator("details.card");
  if ((await form.getAttribute("open")) === null) await form.locator("summary").click();
  await page.getByLabel(label).fill(value);
  await page.getByRole("button", { name: "Save details" }).click();
  await expect(page.getByTestId("details-saved")).toBeVisible();
  await expect(page.locator(".member-head .contact")).toContainText(value);
}

/** Back online, one after the other (the order decides who met whom), until nothing is pending. */
async function reconnect(...pages: [import("@playwright/test").BrowserContext, Page][]) {
  for (const [context, page] of pages) {
    await context.setOffline(false);
    await expect(connection(page)).toHaveText("Online");
    await expectSynced(page);
  }
}

test("a check-in and changes made on two offline desks all stand, on both screens", async ({ browser }) => {
  const desks = await twoDesks(browser, "Björn");
  const { a, b, pageA, pageB } = desks;
  await desks.offline();
  await changeDetail(pageA, "Email", "bjorn@example.se");
  await pageB.getByTestId("check-in").click();
  await expect(pageB.getByTestId("member-message")).toHaveText("Checked in");
  await changeDetail(pageB, "Phone", "0470 11 22 33");
  // B reloads while still offline: its work is on the device.
  await pageB.reload();
  await expect(pageB.getByTestId("sync-pending")).toHaveAttribute("data-count", "2");

  await reconnect([a, pageA], [b, pageB]);
  await expectSynced(pageA);
  for (const page of [pageA, pageB]) {
    await expect(page.locator(".member-head .contact")).toHaveText("bjorn@example.se · 0470 11 22 33", { timeout: 15_000 });
    await expect(page.locator(".member-head .last")).toContainText("1 in total");
    await expect(page.getByTestId("sync-inbox")).toHaveCount(0);
  }
  await desks.close();
});

test("two offline desks checking in one member end with one check-in and one recorded duplicate on both", async ({ browser }) => {
  const desks = await twoDesks(browser, "Chloé");
  const { a, b, pageA, pageB } = desks;
  await desks.offline();
  await pageA.getByTestId("check-in").click();
  await expect(pageA.getByTestId("member-message")).toHaveText("Checked in");
  await pageB.getByTestId("check-in").click();
  await expect(pageB.getByTestId("member-message")).toHaveText("Checked in");

  await reconnect([a, pageA], [b, pageB]);
  for (const page of [pageA, pageB]) {
    await expect(page.locator(".member-head .last")).toContainText("1 in total", { timeout: 15_000 });
    await expect(page.getByTestId("timeline").locator('li[data-type="MemberCheckedIn"]')).toHaveCount(1);
    await expect(page.getByTestId("timeline").locator('li[data-type="MemberCheckInNotCounted"]')).toContainText("duplicate");
  }
  // B's "Checked in" was not what the server kept: B is told, and the badge leads to why.
  await expect(pageB.getByTestId("member-message")).toHaveCount(0);
  await expect(pageB.getByTestId("member-decided")).toContainText("duplicate");
  await expect(pageA.getByTestId("sync-inbox")).toHaveCount(0);
  await pageB.getByTestId("sync-inbox").click();
  await expect(pageB).toHaveURL(/\/inbox$/);
  const entry = pageB.getByTestId("inbox-entry");
  await expect(entry).toHaveAttribute("data-kind", "correction");
  await expect(entry).toContainText(desks.name);
  await entry.getByTestId("inbox-ok").click();
  await expect(pageB.getByTestId("inbox-empty")).toBeVisible();
  await expect(pageB.getByTestId("sync-inbox")).toHaveCount(0);
  await desks.close();
});

test("two offline desks changing one phone end with the later value on both, and the overwritten one in the timeline", async ({ browser }) => {
  const desks = await twoDesks(browser, "Dries");
  const { a, b, pageA, pageB } = desks;
  await desks.offline();
  await changeDetail(pageA, "Phone", "0470 11 11 11");
  await changeDetail(pageB, "Phone", "0470 22 22 22"); // the later change

  // A's pushes first, so B's later change is merged over it: A is told its change did not stand.
  await reconnect([a, pageA], [b, pageB]);
  for (const page of [pageA, pageB]) {
    await expect(page.locator(".member-head .contact")).toContainText("0470 22 22 22", { timeout: 15_000 });
    const merged = page.getByTestId("timeline").locator('li[data-type="MemberDetailsMerged"]');
    await expect(merged).toContainText("0470 22 22 22");
    await expect(merged).toContainText("0470 11 11 11");
  }
  await expect(pageA.getByTestId("member-decided")).toContainText(
    "Your change of the phone to 0470 11 11 11 was overwritten by another desk's later change to 0470 22 22 22",
  );
  await expect(pageA.getByTestId("details-saved")).toHaveCount(0);
  await expect(pageA.getByTestId("sync-inbox")).toHaveAttribute("data-corrections", "1");
  await expect(pageB.getByTestId("sync-inbox")).toHaveCount(0);
  // The reverse order: B's later change first, then A's earlier one is kept as overwritten.
  await desks.offline();
  await changeDetail(pageA, "Phone", "0470 33 33 33");
  await changeDetail(pageB, "Phone", "0470 44 44 44");
  await reconnect([b, pageB], [a, pageA]);
  for (const page of [pageA, pageB]) {
    await expect(page.locator(".member-head .contact")).toContainText("0470 44 44 44", { timeout: 15_000 });
    const overwritten = page.getByTestId("timeline").locator('li[data-type="MemberDetailsOverwritten"]');
    await expect(overwritten).toContainText("0470 33 33 33");
  }
  await expect(pageA.getByTestId("sync-inbox")).toHaveAttribute("data-corrections", "2");
  await expect(pageB.getByTestId("sync-inbox")).toHaveCount(0);
  await desks.close();
});

test("a check-in made while another desk archived the member waits in the inbox, and counts once the member is restored", async ({ browser }) => {
  const desks = await twoDesks(browser, "Farid");
  const { a, b, pageA, pageB } = desks;
  await desks.offline();
  await pageA.getByRole("button", { name: "Archive member…" }).click();
  await pageA.getByRole("button", { name: "Yes, archive" }).click();
  await expect(pageA.locator(".member-head .tag", { hasText: "archived" })).toHaveCount(1);
  await pageB.getByTestId("check-in").click();
  await expect(pageB.getByTestId("member-message")).toHaveText("Checked in");

  await reconnect([a, pageA], [b, pageB]);
  await expect(pageB.getByTestId("sync-inbox")).toHaveAttribute("data-conflicts", "1");
  await expect(pageB.getByTestId("member-message")).toHaveCount(0);
  await expect(pageB.getByTestId("member-decided")).toContainText("archived");
  await pageB.getByTestId("sync-inbox").click();
  const entry = pageB.getByTestId("inbox-entry");
  await expect(entry).toHaveAttribute("data-kind", "conflict");
  // Still archived: applying it again would be refused, so it is not offered, and the entry says why.
  await expect(entry.getByTestId("inbox-blocked")).toContainText("archived");
  await expect(entry.getByTestId("inbox-apply")).toHaveCount(0);

  // Desk A restores the member; once B hears of it, B applies its check-in on top, at the time it happened.
  await pageA.getByRole("button", { name: "Restore member" }).click();
  await expectSynced(pageA);
  await expect(entry.getByTestId("inbox-blocked")).toHaveCount(0, { timeout: 15_000 });
  await entry.getByTestId("inbox-apply").click();
  await expect(pageB.getByTestId("inbox-entry")).toHaveCount(0);
  await expectSynced(pageB);
  await expect(pageA.locator(".member-head .last")).toContainText("1 in total", { timeout: 15_000 });
  await desks.close();
});
