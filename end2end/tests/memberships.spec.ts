import { test, expect, Page, request as playwrightRequest } from "@playwright/test";
import { ACCOUNTS, Who } from "./accounts";
import { apiSignIn, serverEvents, uuidv7 } from "./events";
import {
  changeClubSetting,
  connection,
  ensurePlan,
  expectSynced,
  failOnPageErrors,
  PLANS,
  registerMember,
  sellMembership,
  signIn,
  uniqueName,
  waitForOfflineReady,
} from "./helpers";
import { freshDatabase, OwnServer } from "./server";

const DAY = 86_400_000;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** An ISO date (`YYYY-MM-DD`) `days` later. */
function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso + "T00:00:00Z") + days * DAY).toISOString().slice(0, 10);
}

/** The same day `n` months later (or the month's last day), as the domain counts months. */
function addMonths(iso: string, n: number): string {
  const [y, m, d] = iso.split("-").map(Number);
  const months = y * 12 + (m - 1) + n;
  const [year, month] = [Math.floor(months / 12), (months % 12) + 1];
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, "0")}-${String(Math.min(d, last)).padStart(2, "0")}`;
}

/** "3 Dec 2026", as the member page writes a date. */
function shown(iso: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

/** Hands the desk to `who`, already signed in on this device (no network needed). */
async function switchTo(page: Page, who: Who) {
  await page.getByTestId("switch-staff").click();
  await page.getByTestId("switch-to").filter({ hasText: ACCOUNTS[who].name }).click();
  await expect(page.getByTestId("staff-name")).toHaveText(ACCOUNTS[who].name);
}

/** Signs `who` in too, on the desk's device (online), and makes them the one at the desk. */
async function signInAnother(page: Page, who: Who) {
  await page.getByTestId("switch-staff").click();
  await page.getByTestId("sign-in-another").click();
  await signIn(page, who);
}

/**
 * Records `count` visits of `member` on `membership` at another desk in the minutes before now,
 * 61 s apart (beyond the club's 1-minute duplicate window): pushed through the sync API as that
 * desk's check-ins would be. Not days before: that desk had seen the sale made today, and the
 * server refuses events stamped well before what they were built on.
 */
async function visitsAtAnotherDesk(baseURL: string, memberName: string, count: number) {
  const api = await playwrightRequest.newContext({ baseURL });
  const device = "e2e-front-desk-2";
  const { staff } = await apiSignIn(api, device, "desk");
  const events = await serverEvents(api);
  const stream = events.find((e) => e.type === "MemberRegistered" && e.data.name === memberName).stream;
  const mine = events.filter((e) => e.stream === stream);
  const membership = mine.find((e) => e.type === "MembershipSold").data.membership;
  const head = Math.max(...mine.map((e) => e.version));
  const now = Date.now();
  const visits = Array.from({ length: count }, (_, i) => {
    const at = now - (count - i) * 61_000;
    return {
      id: uuidv7(at),
      stream,
      version: head + i + 1,
      type: "MemberCheckedIn",
      schema_version: 1,
      data: { at_ms: at, on: new Date(at).toISOString().slice(0, 10), membership, rules: { window_ms: 60_000, grace_days: 14 } },
      hlc: { ms: at, c: 0 },
      device,
      staff,
    };
  });
  const response = await api.post("/api/sync/push", { data: { device, batches: [{ stream, parent_version: head, events: visits }] } });
  expect(response.status(), await response.text()).toBe(200);
  expect((await response.json()).results[0].status).toBe("accepted");
  await api.dispose();
  return visits.map((v) => v.data.on);
}

test("a 10-visit card admits until it is used up; then the desk is told why, a manager lets the member in anyway with a reason, and a front desk cannot", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  // A club of its own: its duplicate window is 1 minute, so that the desk's clock (faked, within
  // what the server tolerates) can move past it instead of waiting 10 minutes.
  const server = new OwnServer(3106, freshDatabase("cards"));
  await server.start();
  const context = await browser.newContext({ baseURL: server.url });
  await context.clock.install();
  try {
    const page = await context.newPage();
    const noErrors = failOnPageErrors(page);
    await signIn(page, "manager");
    await signInAnother(page, "desk");
    await waitForOfflineReady(page);
    await ensurePlan(page, PLANS.card10);
    await changeClubSetting(page, { setting: "duplicate_window_minutes", value: 1 }, '"duplicate_window_minutes","value":1}');

    const name = uniqueName("Wanda");
    await registerMember(page, name);
    // No membership yet: the desk is told so before anyone taps, and the button waits.
    await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "deny");
    await expect(page.getByTestId("entry-reason")).toHaveText("no membership");
    await expect(page.getByTestId("check-in")).toBeDisabled();

    await sellMembership(page, PLANS.card10);
    const card = page.getByTestId("membership").filter({ hasText: PLANS.card10.name });
    await expect(card.getByTestId("membership-visits")).toHaveText("10 of 10 visits left");
    await expect(card.getByTestId("membership-paid")).toHaveText("paid 90.00");
    await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "warn");
    await expect(page.getByTestId("entry-reason")).toHaveText("the card starts with this visit");
    await expect(page.getByTestId("entry-membership")).toContainText(`${PLANS.card10.name} · 10 of 10 visits left`);
    await expect(page.getByTestId("entry-as-of")).toContainText("Data as of");
    await expectSynced(page);

    // Eight visits were used at another desk on the days before; two are left.
    const elsewhere = await visitsAtAnotherDesk(server.url, name, 8);
    await expect(card.getByTestId("membership-visits")).toHaveText("2 of 10 visits left", { timeout: 15_000 });
    await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "allow");
    await expect(page.getByTestId("entry-membership")).toContainText("2 of 10 visits left");

    // The desk goes offline and checks the member in for the last two visits.
    await context.setOffline(true);
    await expect(connection(page)).toHaveText("Offline");
    await page.getByTestId("check-in").click();
    await expect(page.getByTestId("member-message")).toHaveText("Checked in");
    await expect(card.getByTestId("membership-visits")).toHaveText("1 of 10 visits left");
    // Within the duplicate window, the desk hears when the member may come in again.
    await expect(page.getByTestId("entry")).toHaveAttribute("data-reason", "already_checked_in");
    await expect(page.getByTestId("check-in")).toBeDisabled();
    await page.clock.fastForward(65_000);
    await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "warn");
    await expect(page.getByTestId("entry-reason")).toHaveText("this is the last visit on the card");
    await page.getByTestId("check-in").click();
    await expect(card.getByTestId("membership-visits")).toHaveText("0 of 10 visits left");

    // Used up: over a reload, offline, the deny says why and no check-in is offered.
    await page.clock.fastForward(65_000);
    await page.reload();
    await expect(page.getByTestId("member-name")).toHaveText(name);
    await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "deny");
    await expect(page.getByTestId("entry-verdict")).toHaveText("Do not let in:");
    await expect(page.getByTestId("entry-reason")).toHaveText("no visits left on the card");
    await expect(page.getByTestId("entry-membership")).toContainText("0 of 10 visits left");
    await expect(card.getByTestId("membership-status")).toContainText("no visits left");
    await expect(page.getByTestId("check-in")).toBeDisabled();
    // A front desk may not override: it is not offered.
    await expect(page.getByTestId("override")).toHaveCount(0);

    // The manager at this desk (handed over offline) may, with a reason the log keeps.
    await switchTo(page, "manager");
    await page.getByTestId("override").click();
    await page.getByTestId("override-confirm").click();
    await expect(page.getByTestId("override-form").getByTestId("form-problem")).toHaveText("A reason is required");
    await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "2");
    await page.getByLabel("Why let them in anyway?").fill("Renewing at the counter after her class");
    await page.getByTestId("override-confirm").click();
    await expect(page.getByTestId("member-message")).toHaveText("Let in anyway: the override is recorded");
    await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "3");
    const overridden = page.getByTestId("timeline").locator('li[data-type="MemberEntryOverridden"]');
    await expect(overridden).toContainText(
      "Let in by override although no visits left on the card: Renewing at the counter after her class",
    );
    await expect(overridden.locator(".by")).toHaveText(`by ${ACCOUNTS.manager.name}`);
    // Handed back to the front desk: still no override.
    await switchTo(page, "desk");
    await expect(page.getByTestId("override")).toHaveCount(0);
    // The day's list marks the override among the day's check-ins.
    await page.getByRole("link", { name: "Today" }).click();
    const today = page.getByTestId("check-ins-today").locator("li", { hasText: name });
    // This desk's two and the override, and the other desk's of today (all eight, but near midnight).
    const day = await page.evaluate(() => new Date().toISOString().slice(0, 10));
    await expect(today).toHaveCount(3 + elsewhere.filter((on) => on === day).length);
    await expect(today.and(page.locator('[data-how="overridden"]'))).toContainText("let in by override");
    await page.goBack();
    await expect(page.getByTestId("member-name")).toHaveText(name);

    await context.setOffline(false);
    await expectSynced(page);
    await expect(overridden).toHaveClass(/confirmed/);
    const api = await playwrightRequest.newContext({ baseURL: server.url });
    const events = await serverEvents(api);
    await api.dispose();
    const stream = events.find((e) => e.type === "MemberRegistered" && e.data.name === name).stream;
    const mine = events.filter((e) => e.stream === stream);
    expect(mine.filter((e) => e.type === "MemberCheckedIn")).toHaveLength(10);
    const override = mine.find((e) => e.type === "MemberEntryOverridden");
    expect(override.data.denied).toEqual({ denial: "no_visits_left" });
    expect(override.data.reason).toBe("Renewing at the counter after her class");
    noErrors();
  } finally {
    await context.close();
    await server.stop();
  }
});

test("a freeze shows the new end date before it is confirmed, and a frozen member is denied, offline and after a reload", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await waitForOfflineReady(page);
  await ensurePlan(page, PLANS.monthly);
  const name = uniqueName("Frida");
  await registerMember(page, name);
  await sellMembership(page, PLANS.monthly);
  const membership = page.getByTestId("membership").filter({ hasText: PLANS.monthly.name });
  await expect(membership).toHaveAttribute("data-status", "active");
  await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "allow");
  await expectSynced(page);

  await context.setOffline(true);
  await membership.getByRole("button", { name: "Freeze…" }).click();
  const form = membership.getByTestId("freeze-form");
  // The club's today, as the form starts from it.
  const today = await form.getByTestId("freeze-from").inputValue();
  const end = addDays(addMonths(today, 1), -1);
  await expect(membership.getByTestId("membership-dates")).toHaveText(`${shown(today)} – ${shown(end)}`);

  // A front desk cannot start a freeze in the past: the rule says so, and nothing is stored.
  await form.getByTestId("freeze-from").fill(addDays(today, -1));
  await form.getByTestId("freeze-confirm").click();
  await expect(form.getByTestId("form-problem")).toHaveText("A front desk may not record something as happened earlier.");
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0");

  // A week from today: the new end date is shown before staff confirm.
  await form.getByTestId("freeze-from").fill(today);
  await form.getByTestId("freeze-until").fill(addDays(today, 6));
  const newEnd = addDays(end, 7);
  await expect(form.getByTestId("freeze-preview")).toHaveAttribute("data-new-end", newEnd);
  await expect(form.getByTestId("freeze-preview")).toHaveText(
    `Frozen ${shown(today)} – ${shown(addDays(today, 6))}: 7 days. The membership then ends on ${shown(newEnd)} (instead of ${shown(end)}).`,
  );
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0");
  await form.getByTestId("freeze-confirm").click();
  await expect(membership).toHaveAttribute("data-status", "frozen");
  await expect(membership.getByTestId("membership-dates")).toHaveText(`${shown(today)} – ${shown(newEnd)}`);
  await expect(membership.getByTestId("membership-status")).toHaveText(
    `frozen until ${shown(addDays(today, 6))} (back on ${shown(addDays(today, 7))})`,
  );

  // Frozen: denied, with the reason, over a reload offline.
  await page.reload();
  await expect(page.getByTestId("member-name")).toHaveText(name);
  await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "deny");
  await expect(page.getByTestId("entry-reason")).toHaveText(`the membership is frozen until ${shown(addDays(today, 6))}`);
  await expect(page.getByTestId("check-in")).toBeDisabled();
  await expect(page.getByTestId("override")).toHaveCount(0);
  await expect(page.getByTestId("timeline").locator('li[data-type="MembershipFrozen"]')).toContainText(
    `${PLANS.monthly.name} frozen ${shown(today)} – ${shown(addDays(today, 6))} (7 days): now ends ${shown(newEnd)}`,
  );
  // The members list says so too.
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await page.getByLabel("Search members").fill(name);
  await expect(page.getByTestId("member-row").filter({ hasText: name }).getByTestId("member-standing")).toHaveText("frozen");

  await context.setOffline(false);
  await expectSynced(page);
  const events = await serverEvents(page.request);
  const stream = events.find((e) => e.type === "MemberRegistered" && e.data.name === name).stream;
  const frozen = events.find((e) => e.stream === stream && e.type === "MembershipFrozen");
  expect([frozen.data.from, frozen.data.until]).toEqual([today, addDays(today, 6)]);
  noErrors();
  await context.close();
});

test("a manager voids a mistaken check-in (kept, struck through, with who and why), records a missed one afterwards, and blocks a member with a reason", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page, "manager");
  await waitForOfflineReady(page);
  await ensurePlan(page, PLANS.monthly);
  const name = uniqueName("Vera");
  await registerMember(page, name);
  // The club's today, as the back-dating form starts from it.
  await page.getByTestId("backdate").click();
  const today = await page.getByTestId("backdate-day").inputValue();
  await page.getByTestId("backdate-form").getByRole("button", { name: "Close" }).click();
  // A manager may sell a membership that started yesterday.
  await sellMembership(page, PLANS.monthly, { start: addDays(today, -1) });
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");
  await expect(page.getByTestId("visit")).toHaveCount(1);
  await expectSynced(page);

  await context.setOffline(true);
  // Tapped for the wrong member: voided with the reason; it stays in the timeline, struck through.
  await page.getByTestId("visit").getByTestId("void").click();
  await page.getByTestId("void-form").getByLabel("Why void this check-in?").fill("Tapped for the wrong member");
  await page.getByTestId("void-confirm").click();
  await expect(page.getByTestId("visit")).toHaveCount(0);
  const checkedIn = page.getByTestId("timeline").locator('li[data-type="MemberCheckedIn"]');
  await expect(checkedIn.getByTestId("voided-check-in")).toContainText("Checked in");
  await expect(checkedIn.getByTestId("voided-note")).toContainText(`voided by ${ACCOUNTS.manager.name}`);
  await expect(checkedIn.getByTestId("voided-note")).toContainText("Tapped for the wrong member");
  await expect(page.getByTestId("timeline").locator('li[data-type="MemberCheckInVoided"]')).toContainText(
    "voided: Tapped for the wrong member",
  );
  // It no longer counts: the member may check in again at once.
  await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "allow");

  // A visit missed yesterday evening, recorded afterwards with the reason; one before the
  // membership started is refused with the rule, and nothing is stored.
  await page.getByTestId("backdate").click();
  const backdate = page.getByTestId("backdate-form");
  await backdate.getByTestId("backdate-day").fill(addDays(today, -2));
  await backdate.getByTestId("backdate-time").fill("18:30");
  await backdate.getByLabel("Why was it not recorded then?").fill("Paper sign-in sheet during the outage");
  await backdate.getByTestId("backdate-confirm").click();
  await expect(backdate.getByTestId("form-problem")).toHaveText(
    `Not possible on that day: the membership has not started (starts ${shown(addDays(today, -1))}).`,
  );
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "1");
  await backdate.getByTestId("backdate-day").fill(addDays(today, -1));
  await backdate.getByTestId("backdate-confirm").click();
  await expect(page.getByTestId("backdated")).toHaveText("Past check-in recorded");
  await expect(page.getByTestId("visit")).toHaveCount(1);
  await expect(page.getByTestId("timeline").locator('li[data-type="MemberCheckInBackdated"]')).toContainText(
    "recorded afterwards — E2E Monthly: Paper sign-in sheet during the outage",
  );

  // Blocked with a reason: the desk sees why, and entry is denied.
  await page.getByTestId("block-open").click();
  await page.getByLabel("Why may they not come in?").fill("Unpaid locker damage");
  await page.getByTestId("block-confirm").click();
  await expect(page.getByTestId("blocked")).toHaveText("Blocked by staff: Unpaid locker damage");
  await expect(page.getByTestId("entry-reason")).toHaveText("blocked by staff");

  // All of it over a reload, offline.
  await page.reload();
  await expect(page.getByTestId("member-name")).toHaveText(name);
  await expect(page.getByTestId("blocked")).toHaveText("Blocked by staff: Unpaid locker damage");
  await expect(checkedIn.getByTestId("voided-check-in")).toHaveCount(1);
  await page.getByTestId("unblock").click();
  await expect(page.getByTestId("blocked")).toHaveCount(0);
  await expect(page.getByTestId("entry")).toHaveAttribute("data-verdict", "allow");

  await context.setOffline(false);
  await expectSynced(page);
  const events = await serverEvents(page.request);
  const stream = events.find((e) => e.type === "MemberRegistered" && e.data.name === name).stream;
  const types = events.filter((e) => e.stream === stream).map((e) => e.type);
  expect(types).toEqual([
    "MemberRegistered",
    "MembershipSold",
    "MemberCheckedIn",
    "MemberCheckInVoided",
    "MemberCheckInBackdated",
    "MemberBlocked",
    "MemberUnblocked",
  ]);
  noErrors();
  await context.close();
});
