import { test, expect, Browser, Page } from "@playwright/test";
import { Who } from "./accounts";
import {
  bookMember,
  classStart,
  connection,
  ensurePlan,
  expectSynced,
  failOnPageErrors,
  openClass,
  openMember,
  PlanSpec,
  PLANS,
  registerMember,
  rosterRow,
  scheduleClass,
  sellMembership,
  signIn,
  uniqueName,
  uniqueTag,
  waitForOfflineReady,
  waitingRow,
} from "./helpers";

/** A device of its own (a browser profile) with `who` signed in, ready to work offline. */
async function device(browser: Browser, who: Who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page, who);
  await waitForOfflineReady(page);
  await expect(connection(page)).toHaveText("Online");
  return { context, page, noErrors };
}

type Device = Awaited<ReturnType<typeof device>>;

async function offline(...devices: Device[]) {
  for (const { context, page } of devices) {
    await context.setOffline(true);
    await expect(connection(page)).toHaveText("Offline");
  }
}

/** Back online, one after the other (the order decides which change reached the server first). */
async function reconnect(...devices: Device[]) {
  for (const { context, page } of devices) {
    await context.setOffline(false);
    await expect(connection(page)).toHaveText("Online");
    await expectSynced(page);
  }
}

/** Members registered on the manager's device, each sold `plan` (a card from today). */
async function members(page: Page, first: string[], plan: PlanSpec): Promise<string[]> {
  await ensurePlan(page, plan);
  const names = first.map((f) => uniqueName(f));
  for (const name of names) {
    await registerMember(page, name);
    await sellMembership(page, plan, { startToday: plan.visits !== null });
  }
  await expectSynced(page);
  return names;
}

/** The class page's count of booked and waiting members. */
async function expectPlaces(page: Page, booked: number, waiting: number) {
  const places = page.getByTestId("class-places");
  await expect(places).toHaveAttribute("data-booked", String(booked), { timeout: 15_000 });
  await expect(places).toHaveAttribute("data-waiting", String(waiting));
}

/** Reloads the class page while offline: what was done is on the device. */
async function reloadOffline(page: Page, title: string) {
  await page.reload();
  await expect(page.getByTestId("class-title")).toHaveText(title);
  await expect(connection(page)).toHaveText("Offline");
}

test("a class filled to capacity puts the next booking on the waitlist, and a cancellation moves it up, offline and after a reload", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const manager = await device(browser, "manager");
  const desk = await device(browser, "desk");
  try {
    const [ann, ben, cleo] = await members(manager.page, ["Ann", "Ben", "Cleo"], PLANS.monthly);
    // Tomorrow: a cancellation now is not late, and the waitlist still moves up by itself.
    const title = `Spin ${uniqueTag()}`;
    const id = await scheduleClass(manager.page, { title, startMs: classStart(26 * 60), capacity: 2 });
    await expectSynced(manager.page);

    for (const name of [ann, ben, cleo]) await openMember(desk.page, name);
    await openClass(desk.page, id, title);
    await offline(desk);

    await expect(await bookMember(desk.page, ann)).toHaveText(`${ann} is booked.`);
    await expect(await bookMember(desk.page, ben)).toHaveText(`${ben} is booked.`);
    await expect(desk.page.getByTestId("book-full")).toBeVisible();
    await expect(await bookMember(desk.page, cleo)).toHaveText(`${cleo} put on the waitlist (place 1): the class was full.`);
    await expectPlaces(desk.page, 2, 1);

    await reloadOffline(desk.page, title);
    await expectPlaces(desk.page, 2, 1);
    await expect(waitingRow(desk.page, cleo)).toHaveAttribute("data-place", "1");

    // Ann cancels a day ahead: not late, and Cleo moves up into her spot.
    await rosterRow(desk.page, ann).getByTestId("cancel-booking").click();
    await expect(desk.page.getByTestId("cancel-booking-late")).toHaveAttribute("data-late", "false");
    await desk.page.getByTestId("cancel-booking-confirm").click();
    await expectPlaces(desk.page, 2, 0);
    await expect(rosterRow(desk.page, cleo)).toContainText("moved up from the waitlist");
    await expect(desk.page.getByTestId("timeline").locator('li[data-type="BookingCancelled"]')).toContainText(
      `Booking of ${ann} for ${title}`,
    );
    await expect(desk.page.getByTestId("timeline").locator('li[data-type="BookingCancelled"]')).toContainText(
      `${cleo} moved up from the waitlist`,
    );
    await reloadOffline(desk.page, title);
    await expectPlaces(desk.page, 2, 0);
    await expect(rosterRow(desk.page, cleo)).toHaveCount(1);
    await expect(rosterRow(desk.page, ann)).toHaveCount(0);

    await reconnect(desk);
    // The manager's device sees the same roster once the desk's changes are in.
    await expectPlaces(manager.page, 2, 0);
    await expect(rosterRow(manager.page, ben)).toHaveCount(1);
    await expect(rosterRow(manager.page, cleo)).toContainText("moved up from the waitlist");
    // Cleo's page lists the class she is booked in.
    await openMember(manager.page, cleo);
    await expect(manager.page.getByTestId("member-class").filter({ hasText: title })).toHaveAttribute("data-place", "booked");
    await expect(manager.page.getByTestId("timeline").locator('li[data-type="ClassWaitlisted"]')).toContainText(
      `${cleo} put on the waitlist for ${title}`,
    );
    manager.noErrors();
    desk.noErrors();
  } finally {
    await manager.context.close();
    await desk.context.close();
  }
});

test("two offline desks book the last spot: after sync one is booked and one waits on both screens, and the waitlisted desk says why", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const manager = await device(browser, "manager");
  const a = await device(browser, "desk");
  const b = await device(browser, "desk");
  try {
    const [dora, emil] = await members(manager.page, ["Dora", "Emil"], PLANS.monthly);
    const title = `Yoga ${uniqueTag()}`;
    const id = await scheduleClass(manager.page, { title, startMs: classStart(26 * 60), capacity: 1 });
    await expectSynced(manager.page);
    for (const [d, name] of [[a, dora], [b, emil]] as const) {
      await openMember(d.page, name);
      await openClass(d.page, id, title);
    }

    await offline(a, b);
    await expect(await bookMember(a.page, dora)).toHaveText(`${dora} is booked.`);
    const bSaid = await bookMember(b.page, emil);
    await expect(bSaid).toHaveText(`${emil} is booked.`);
    await reloadOffline(a.page, title);
    await expect(rosterRow(a.page, dora)).toHaveCount(1);

    // A reaches the server first: B's booking no longer fits, and the server puts Emil on the waitlist.
    await reconnect(a, b);
    for (const { page } of [a, b]) {
      await expectPlaces(page, 1, 1);
      await expect(rosterRow(page, dora)).toHaveCount(1);
      await expect(waitingRow(page, emil)).toHaveAttribute("data-place", "1");
    }
    // B's "booked" no longer holds: it is gone, and the correction says what became of it.
    await expect(bSaid).toHaveCount(0);
    const why = `Booking of ${emil} for ${title}`;
    await expect(b.page.getByTestId("class-decided")).toContainText(why);
    await expect(b.page.getByTestId("class-decided")).toContainText(
      "moved to the waitlist: the last spot was taken by another desk first",
    );
    await expect(a.page.getByTestId("class-decided")).toHaveCount(0);
    await expect(b.page.getByTestId("sync-inbox")).toHaveAttribute("data-corrections", "1");
    await b.page.getByTestId("sync-inbox").click();
    const entry = b.page.getByTestId("inbox-entry");
    await expect(entry).toHaveAttribute("data-kind", "correction");
    await expect(entry).toContainText(title);
    await expect(entry).toContainText("moved to the waitlist: the last spot was taken by another desk first");
    await entry.getByTestId("inbox-ok").click();
    await expect(b.page.getByTestId("inbox-empty")).toBeVisible();
    for (const d of [manager, a, b]) d.noErrors();
  } finally {
    for (const d of [manager, a, b]) await d.context.close();
  }
});

test("a coach marks attendance offline and the card's visit is used once, though the desk marks it too", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const manager = await device(browser, "manager");
  const desk = await device(browser, "desk");
  const coach = await device(browser, "coach");
  try {
    const [finn] = await members(manager.page, ["Finn"], PLANS.card10);
    // Starting within the hour: attendance is open.
    const title = `Boxing ${uniqueTag()}`;
    const id = await scheduleClass(manager.page, {
      title,
      startMs: classStart(30),
      capacity: 8,
      coach: "Colin Coach (coach)",
    });
    await expectSynced(manager.page);

    await openMember(desk.page, finn);
    await openClass(desk.page, id, title);
    await expect(await bookMember(desk.page, finn)).toHaveText(`${finn} is booked.`);
    await expectSynced(desk.page);
    // Today's classes on the manager's dashboard, with their places.
    await manager.page.getByRole("link", { name: "Dashboard", exact: true }).click();
    const today = manager.page.getByTestId("today-classes").getByTestId("class-row").filter({ hasText: title });
    await expect(today).toHaveAttribute("data-booked", "1", { timeout: 15_000 });
    await expect(today).toHaveAttribute("data-capacity", "8");
    await expect(today.getByTestId("class-places")).toHaveText("1/8 booked");

    // The coach finds the class among their own, and has the member on the device.
    await openMember(coach.page, finn);
    await coach.page.getByRole("link", { name: "My classes", exact: true }).click();
    await coach.page.getByTestId("my-classes-today").getByTestId("class-row").filter({ hasText: title }).getByRole("link").click();
    await expect(coach.page.getByTestId("class-title")).toHaveText(title);
    await expect(rosterRow(coach.page, finn)).toHaveCount(1, { timeout: 15_000 });
    // A coach does not book or cancel: only attendance is offered.
    await expect(coach.page.getByTestId("book")).toHaveCount(0);
    await expect(coach.page.getByTestId("cancel-booking")).toHaveCount(0);

    await offline(coach, desk);
    await rosterRow(coach.page, finn).getByTestId("attended").check();
    await expect(rosterRow(coach.page, finn)).toHaveAttribute("data-attended", "true");
    await reloadOffline(coach.page, title);
    await expect(rosterRow(coach.page, finn).getByTestId("attended")).toBeChecked();
    await openMember(coach.page, finn);
    const card = (page: Page) => page.getByTestId("membership").filter({ hasText: PLANS.card10.name }).getByTestId("membership-visits");
    await expect(card(coach.page)).toHaveText("9 of 10 visits left");

    // The desk, offline too, marks the same member.
    await rosterRow(desk.page, finn).getByTestId("attended").check();
    await expect(rosterRow(desk.page, finn)).toHaveAttribute("data-attended", "true");
    await openMember(desk.page, finn);
    await expect(card(desk.page)).toHaveText("9 of 10 visits left");

    await reconnect(coach, desk);
    for (const { page } of [coach, desk]) {
      await openMember(page, finn);
      await expect(card(page)).toHaveText("9 of 10 visits left", { timeout: 15_000 });
      await expect(page.getByTestId("timeline").locator('li[data-type="ClassVisitUsed"]')).toHaveCount(1);
      await openClass(page, id, title);
      await expect(rosterRow(page, finn)).toHaveAttribute("data-attended", "true");
    }
    await openMember(manager.page, finn);
    await expect(card(manager.page)).toHaveText("9 of 10 visits left", { timeout: 15_000 });

    // A tick taken back: the coach may not give a visit back (a visit is money), so the page says
    // it stays used; the manager gives it back from the roster, and every device shows it.
    await openClass(coach.page, id, title);
    await rosterRow(coach.page, finn).getByTestId("attended").uncheck();
    await expect(rosterRow(coach.page, finn)).toHaveAttribute("data-attended", "false");
    await expect(coach.page.getByTestId("roster-message")).toContainText("stays used until a manager gives it back");
    await expect(rosterRow(coach.page, finn).getByTestId("visit-used")).toBeVisible();
    await expectSynced(coach.page);
    await openClass(manager.page, id, title);
    await expect(rosterRow(manager.page, finn)).toHaveAttribute("data-attended", "false", { timeout: 15_000 });
    await rosterRow(manager.page, finn).getByTestId("return-visit").click();
    await expect(manager.page.getByTestId("roster-message")).toHaveText(`${finn}'s card visit was given back.`);
    await expect(rosterRow(manager.page, finn).getByTestId("return-visit")).toHaveCount(0);
    await expectSynced(manager.page);
    for (const { page } of [manager, coach]) {
      await openMember(page, finn);
      await expect(card(page)).toHaveText("10 of 10 visits left", { timeout: 15_000 });
    }
    for (const d of [manager, desk, coach]) d.noErrors();
  } finally {
    for (const d of [manager, desk, coach]) await d.context.close();
  }
});

test("the class pages open and reload with no network, though never opened online", async ({ browser }) => {
  const coach = await device(browser, "coach");
  try {
    await coach.context.setOffline(true);
    await expect(connection(coach.page)).toHaveText("Offline");
    const routes: [string, string, RegExp][] = [
      ["/classes", "timetable", /Week of/],
      ["/classes?week=2026-03-02", "week-label", /Week of Mon 2 Mar – Sun 8 Mar/],
      ["/classes/01900000-0000-7000-8000-0000000c1a55", "class-absent", /not on this device/],
      ["/my-classes", "my-classes-today", /./],
    ];
    for (const [route, testid, text] of routes) {
      await coach.page.goto(route);
      await expect(coach.page.getByTestId(testid), route).toContainText(text);
      await coach.page.reload();
      await expect(coach.page.getByTestId(testid), `${route} after reload`).toContainText(text);
    }
    // Moving between weeks works offline too.
    await coach.page.goto("/classes?week=2026-03-02");
    await coach.page.getByTestId("week-next").click();
    await expect(coach.page.getByTestId("week-label")).toHaveText("Week of Mon 9 Mar – Sun 15 Mar");
    await expect(coach.page.getByTestId("timetable-day")).toHaveCount(7);
    coach.noErrors();
  } finally {
    await coach.context.close();
  }
});

test("a new device schedules nothing in club time until the club's settings (its time zone) have reached it", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  // Signed in, but nothing of the club's data comes through yet (a slow first sync).
  const held = ["**/api/read/**", "**/api/sync/pull**", "**/api/sync/live**"];
  for (const url of held) await context.route(url, (route) => route.abort());
  try {
    await signIn(page, "manager");
    await page.getByRole("link", { name: "Classes", exact: true }).click();
    await page.getByTestId("schedule-class").click();
    const form = page.getByTestId("schedule-form");
    await expect(form).toHaveAttribute("data-settings-known", "false");
    const title = `Early ${uniqueTag()}`;
    const iso = new Date(classStart(26 * 60)).toISOString();
    await form.getByLabel("Title").fill(title);
    await form.getByLabel("Date").fill(iso.slice(0, 10));
    await form.getByTestId("class-time").fill(iso.slice(11, 16));
    await form.getByTestId("schedule-confirm").click();
    await expect(form.getByTestId("schedule-problem")).toContainText("have not reached this device yet");
    // The club's data arrives: the same form schedules the class at the time entered.
    for (const url of held) await context.unroute(url);
    await expect(form).toHaveAttribute("data-settings-known", "true", { timeout: 90_000 });
    await form.getByTestId("schedule-confirm").click();
    await expect(page.getByTestId("class-title")).toHaveText(title);
    await expect(page.getByTestId("class-when")).toContainText(iso.slice(11, 16));
    noErrors();
  } finally {
    await context.close();
  }
});

test("a class scheduled for a time that has passed says on its page why it can no longer be booked", async ({
  browser,
}) => {
  const manager = await device(browser, "manager");
  try {
    const title = `Past ${uniqueTag()}`;
    // Yesterday at this time, for an hour: over.
    await scheduleClass(manager.page, { title, startMs: classStart(-24 * 60), capacity: 8 });
    await expect(manager.page.getByTestId("book-closed")).toHaveText("This class is over: it can no longer be booked.");
    await expect(manager.page.getByTestId("book")).toHaveCount(0);
    manager.noErrors();
  } finally {
    await manager.context.close();
  }
});

test("a member frozen after booking keeps the spot, and the class's roster and the member's page say they cannot attend", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const manager = await device(browser, "manager");
  try {
    const [ann] = await members(manager.page, ["Ann"], PLANS.monthly);
    const title = `Pilates ${uniqueTag()}`;
    const id = await scheduleClass(manager.page, { title, startMs: classStart(26 * 60), capacity: 4 });
    await expect(await bookMember(manager.page, ann)).toHaveText(`${ann} is booked.`);
    await expect(rosterRow(manager.page, ann).getByTestId("cannot-attend")).toHaveCount(0);

    // Frozen for two weeks from today, after the booking: the booking stands, flagged.
    await openMember(manager.page, ann);
    const membership = manager.page.getByTestId("membership").filter({ hasText: PLANS.monthly.name });
    await membership.getByRole("button", { name: "Freeze…" }).click();
    await membership.getByTestId("freeze-confirm").click();
    await expect(membership).toHaveAttribute("data-status", "frozen");
    const place = manager.page.getByTestId("member-class").filter({ hasText: title });
    await expect(place).toHaveAttribute("data-place", "booked");
    await expect(place.getByTestId("cannot-attend")).toContainText("cannot attend that day: the membership is frozen");

    await openClass(manager.page, id, title);
    await expect(rosterRow(manager.page, ann).getByTestId("cannot-attend")).toContainText(
      "cannot attend that day: the membership is frozen",
    );
    manager.noErrors();
  } finally {
    await manager.context.close();
  }
});
