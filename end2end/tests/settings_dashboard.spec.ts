import { test, expect, Page } from "@playwright/test";
import {
  expectSynced,
  failOnPageErrors,
  PlanSpec,
  registerMember,
  sellMembership,
  signIn,
  uniqueName,
  uniqueTag,
  waitForOfflineReady,
} from "./helpers";

type Numbers = { inClub: number; checkIns: number; expiring: number; fewVisits: number };

/** The dashboard's numbers, once this device has everything the server has. */
async function dashboardNumbers(page: Page): Promise<Numbers> {
  await page.getByRole("link", { name: "Dashboard", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("dashboard")).toHaveAttribute("data-compute-ms", /^\d+(\.\d)?$/);
  // The server answered (so the device knows how much there is), and nothing is left to receive.
  await expect(page.getByTestId("sync-last")).toHaveText(/^synced/, { timeout: 30_000 });
  await expect(page.getByTestId("dashboard-incomplete")).toHaveCount(0, { timeout: 30_000 });
  const count = async (id: string) => Number(await page.getByTestId(id).getAttribute("data-count"));
  return {
    inClub: await count("stat-in-club"),
    checkIns: await count("stat-check-ins"),
    expiring: await count("stat-expiring"),
    fewVisits: await count("stat-few-visits"),
  };
}

/** Whether the dashboard's list `list` names `member` (every entry shown, not only the first). */
async function lists(page: Page, list: string, member: string) {
  const all = page.getByTestId(list);
  const more = all.getByTestId("show-all");
  if (await more.count()) await more.click();
  await expect(all.locator(`li[data-member="${member}"]`)).toHaveCount(1);
}

/** Adds a visit card of `visits` visits valid `days` days through the settings page; its id. */
async function addPlan(page: Page, name: string, days: number, visits: number, price: string): Promise<string> {
  await page.getByRole("link", { name: "Settings", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Club settings" })).toBeVisible();
  await page.getByTestId("add-plan").click();
  const form = page.getByTestId("plan-form");
  await form.getByLabel("Plan name").fill(name);
  await form.getByLabel("Length", { exact: true }).selectOption("days");
  await form.getByLabel("Number of days").fill(String(days));
  await form.getByLabel("Visits", { exact: true }).selectOption("card");
  await form.getByLabel("Number of visits").fill(String(visits));
  await form.getByLabel("Price").fill(price);
  await form.getByRole("button", { name: "Add plan" }).click();
  await expect(page.getByTestId("plan-outcome")).toHaveText(`Plan ${name} added.`);
  const row = page.getByTestId("plan").filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(`${visits} visits within ${days} days`);
  return (await row.getAttribute("data-plan"))!;
}

test("a plan made in the settings is sold and used, the dashboard counts it on both desks, and the pages reload offline", async ({
  browser,
}) => {
  const office = await browser.newContext();
  const page = await office.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page, "manager");
  await waitForOfflineReady(page);
  await expectSynced(page);
  const before = await dashboardNumbers(page);

  // A plan, added in the settings: 3 visits within 10 days.
  const tag = uniqueTag();
  const planName = `Trial ${tag}`;
  const planId = await addPlan(page, planName, 10, 3, "30");
  await expect(page.getByTestId("timeline").locator('li[data-type="ClubSettingChanged"]').first()).toContainText(planName);

  // Taken off sale, it is kept and marked; back on sale, it can be sold again.
  const row = page.getByTestId("plan").filter({ hasText: planName });
  await row.getByRole("button", { name: "Take off sale" }).click();
  await expect(row).toHaveAttribute("data-on-sale", "false");
  await expect(row).toContainText("off sale");
  await row.getByRole("button", { name: "Put back on sale" }).click();
  await expect(row).toHaveAttribute("data-on-sale", "true");
  // Edited: later sales get the new terms.
  await row.getByRole("button", { name: "Edit" }).click();
  await expect(page.getByTestId("plan-form").getByLabel("Plan name")).toHaveValue(planName);
  await page.getByTestId("plan-form").getByLabel("Price").fill("35");
  await page.getByTestId("plan-form").getByRole("button", { name: "Save plan" }).click();
  await expect(page.getByTestId("plan-outcome")).toHaveText(`Plan ${planName} saved.`);
  await expect(row).toContainText("35.00");

  // A setting the rules refuse says why, and changes nothing.
  await page.getByLabel("Automatic check-out").fill("5");
  await page.getByTestId("auto-check-out-form").getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("auto-check-out-outcome")).toHaveText("Automatic check-out is 30 to 1,440 minutes after entry.");

  // Sold to a new member, starting today, and used once.
  const name = uniqueName("Dora");
  await registerMember(page, name);
  const member = new URL(page.url()).pathname.split("/").pop()!;
  const plan: PlanSpec = { id: planId, name: planName, months: 0, visits: 3, priceCents: 3_500 };
  await sellMembership(page, plan, { startToday: true });
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");

  // The dashboard: one more in the club, one more check-in today, one more membership ending
  // within 14 days (in 9), one more card with 2 visits or fewer left.
  const after = await dashboardNumbers(page);
  expect(after).toEqual({
    inClub: before.inClub + 1,
    checkIns: before.checkIns + 1,
    expiring: before.expiring + 1,
    fewVisits: before.fewVisits + 1,
  });
  await lists(page, "in-club", member);
  await lists(page, "expiring", member);
  await lists(page, "few-visits", member);
  await expect(page.getByTestId("few-visits").locator(`li[data-member="${member}"]`)).toContainText("2 visits left");
  // The same day's check-ins as the Today page counts.
  await page.getByRole("link", { name: "Today", exact: true }).click();
  await expect(page.getByTestId("check-in-count")).toHaveText(
    after.checkIns === 1 ? "1 check-in today" : `${after.checkIns} check-ins today`,
  );
  await expectSynced(page);

  // A second desk (front desk) sees the same: the plan, and the same numbers.
  const desk = await browser.newContext();
  const deskPage = await desk.newPage();
  const deskErrors = failOnPageErrors(deskPage);
  await signIn(deskPage, "desk");
  await expect.poll(() => dashboardNumbers(deskPage), { timeout: 30_000 }).toEqual(after);
  await lists(deskPage, "in-club", member);
  await expect(deskPage.getByRole("link", { name: "Settings", exact: true })).toHaveCount(0);
  await deskPage.goto("/settings");
  await expect(deskPage.getByTestId("settings-forbidden")).toBeVisible();
  await expect(deskPage.getByTestId("plan").filter({ hasText: planName })).toHaveCount(1);
  await expect(deskPage.getByTestId("add-plan")).toBeDisabled();

  // Offline, every new page reloads, with its data.
  await office.setOffline(true);
  const routes: [string, string][] = [
    ["/settings", "Club settings"],
    ["/dashboard", "Dashboard"],
    ["/device", "This device"],
  ];
  for (const [route, heading] of routes) {
    await page.goto(route);
    await expect(page.getByRole("heading", { name: heading }), route).toBeVisible();
    await page.reload();
    await expect(page.getByRole("heading", { name: heading }), `${route} after reload`).toBeVisible();
  }
  await page.goto("/settings");
  await expect(page.getByTestId("plan").filter({ hasText: planName })).toHaveCount(1);
  await page.goto("/dashboard");
  await expect(page.getByTestId("stat-check-ins")).toHaveAttribute("data-count", String(after.checkIns));
  await expect(page.getByTestId("stat-in-club")).toHaveAttribute("data-count", String(after.inClub));

  // This desk's own settings: its name in the top bar, and the page it opens on, kept over a reload.
  const deskName = `Front ${tag}`;
  await page.goto("/device");
  await page.getByLabel("Desk name").fill(deskName);
  await page.getByLabel("Start page").selectOption("today");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("device-message")).toHaveText("Saved on this device.");
  await expect(page.getByTestId("desk-name")).toHaveText(deskName);
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Today" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Today" })).toBeVisible();
  await expect(page.getByTestId("desk-name")).toHaveText(deskName);
  // Another device keeps its own: the dashboard is still its start page.
  await deskPage.goto("/");
  await expect(deskPage.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(deskPage.getByTestId("desk-name")).toHaveText("Name this desk");
  await office.setOffline(false);

  noErrors();
  deskErrors();
  await office.close();
  await desk.close();
});

test("the club's time zone is chosen in the settings, and the dashboard's day and times follow it", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page, "owner");
  await page.getByRole("link", { name: "Settings", exact: true }).click();
  const zone = page.getByLabel("Time zone");
  const original = await zone.inputValue();
  const other = original === "Pacific/Kiritimati" ? "Pacific/Pago_Pago" : "Pacific/Kiritimati";
  try {
    await zone.selectOption(other);
    await page.getByTestId("time-zone-form").getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("time-zone-outcome")).toHaveText(`Saved: the club's time zone is ${other}.`);
    await page.getByRole("link", { name: "Dashboard", exact: true }).click();
    await expect(page.getByTestId("dashboard-day")).toContainText(`(${other})`);
    // The club's wall clock, not the browser's: what Intl says it is in that zone now.
    const clubTime = await page.evaluate(
      (timeZone) => new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date()),
      other,
    );
    const [h, m] = clubTime.split(":").map(Number);
    const minuteLater = `${String((h + (m === 59 ? 1 : 0)) % 24).padStart(2, "0")}:${String((m + 1) % 60).padStart(2, "0")}`;
    await expect(page.getByTestId("dashboard-day")).toContainText(new RegExp(`club time (${clubTime}|${minuteLater})`));
    await expect(page.getByTestId("zone-unknown")).toHaveCount(0);
  } finally {
    // Every other test reads times in the club's zone: it is put back.
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByLabel("Time zone").selectOption(original);
    await page.getByTestId("time-zone-form").getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("time-zone-outcome")).toHaveText(`Saved: the club's time zone is ${original}.`);
    await expectSynced(page);
  }
  noErrors();
  await context.close();
});
