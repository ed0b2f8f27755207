import { test, expect } from "@playwright/test";
import { serverEvents } from "./events";
import {
  ensurePlan,
  expectSynced,
  openMember,
  registerMember,
  sellMembership,
  signIn,
  uniqueName,
  waitForOfflineReady,
} from "./helpers";

const HOUR = 3_600_000;
const WARNING =
  "This device's clock is 2 h fast. Set its date and time right: until then nothing can be recorded here.";

test("a device that knows its clock is 2 h fast says so on every page and records nothing; what it recorded before it knew is set aside with the server's reason", async ({
  browser,
  request,
}) => {
  const right = await browser.newContext();
  const fast = await browser.newContext();
  await fast.clock.install({ time: Date.now() + 2 * HOUR });

  const desk = await right.newPage();
  await signIn(desk);
  await waitForOfflineReady(desk);
  const name = uniqueName("Tess");
  await ensurePlan(desk);
  await registerMember(desk, name);
  await sellMembership(desk);
  await expectSynced(desk);
  await expect(desk.getByTestId("clock-warning")).toHaveCount(0);

  const phone = await fast.newPage();
  await signIn(phone);
  await waitForOfflineReady(phone);
  await expect(phone.getByTestId("clock-warning")).toHaveText(WARNING);
  await phone.getByRole("link", { name: "Today" }).click();
  await expect(phone.getByTestId("clock-warning")).toHaveText(WARNING);

  // Knowing, the device refuses to record, and says why and what to do.
  await openMember(phone, name);
  await expect(phone.getByTestId("clock-warning")).toHaveText(WARNING);
  await phone.getByTestId("check-in").click();
  await expect(phone.getByTestId("member-message")).toHaveText(
    "Nothing was saved: this device's clock is 2 h fast. Set its date and time right, then try again.",
  );
  await expect(phone.getByTestId("sync-pending")).toHaveAttribute("data-count", "0");

  // Reloaded without a network, it no longer knows (the measurement lived with the page): a
  // check-in is kept, and the server refuses it once it arrives, with the reason, in the timeline.
  await fast.setOffline(true);
  await phone.reload();
  await expect(phone.getByTestId("member-name")).toHaveText(name);
  await phone.getByTestId("check-in").click();
  await expect(phone.getByTestId("member-message")).toHaveText("Checked in");
  const newcomer = uniqueName("Nell");
  await registerMember(phone, newcomer);
  const newcomerPage = phone.url();
  await openMember(phone, name);
  await fast.setOffline(false);
  await expect(phone.getByTestId("sync-inbox")).toHaveText("2 conflicts", { timeout: 30_000 });
  await expect(phone.getByTestId("clock-warning")).toHaveText(WARNING);
  const refused = phone.getByTestId("timeline").locator('li.rejected[data-type="MemberCheckedIn"]');
  await expect(refused).toContainText("not accepted: ");
  // Stamped 2 h ahead when it was made; a minute or so less by the time it reached the server.
  const ahead = /(2 h|1 h 5\d min) ahead of the server's clock/;
  await expect(refused).toContainText(ahead);
  await expect(refused).toContainText("set its date and time right");
  await expect(refused).not.toContainText("event ");
  // The member registered there never will be on the server: the page says so, and what to do.
  await phone.goto(newcomerPage);
  await expect(phone.getByTestId("registration-refused")).toContainText("This member was not saved");
  await expect(phone.getByTestId("registration-refused")).toContainText(ahead);
  await expect(phone.getByRole("link", { name: "Register them again" })).toBeVisible();

  // The desk with the right time can still check the same member in.
  await desk.getByTestId("check-in").click();
  await expect(desk.getByTestId("member-message")).toHaveText("Checked in");
  await expectSynced(desk);
  await expect(desk.getByTestId("timeline").locator('li.confirmed[data-type="MemberCheckedIn"]')).toHaveCount(1);

  const events = await serverEvents(request);
  const stream = events.find((e) => e.type === "MemberRegistered" && e.data.name === name).stream;
  expect(events.filter((e) => e.stream === stream && e.type === "MemberCheckedIn")).toHaveLength(1);
  await right.close();
  await fast.close();
});

test("a device whose clock is set right after it was found wrong records again without waiting for the server", async ({
  browser,
}) => {
  const fast = await browser.newContext();
  await fast.clock.install({ time: Date.now() + 2 * HOUR });
  const page = await fast.newPage();
  await signIn(page);
  await waitForOfflineReady(page);
  const name = uniqueName("Ivo");
  await expect(page.getByTestId("clock-warning")).toHaveText(WARNING);
  await fast.setOffline(true);
  // Staff set the clock right (the fake clock jumps back 2 h; the monotonic clock does not).
  await fast.clock.setSystemTime(Date.now());
  await expect(page.getByTestId("clock-warning")).toHaveCount(0, { timeout: 15_000 });
  await registerMember(page, name);
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "1");
  await fast.setOffline(false);
  await expectSynced(page);
  await expect(page.getByTestId("sync-inbox")).toHaveCount(0);
  await fast.close();
});

test("a device whose clock was set back 2 h while offline knows it after a reload without a network, from the server's time it saw, and records nothing", async ({
  browser,
}) => {
  const context = await browser.newContext();
  await context.clock.install({ time: Date.now() });
  const page = await context.newPage();
  await signIn(page);
  await waitForOfflineReady(page);
  const name = uniqueName("Odo");
  await ensurePlan(page);
  await registerMember(page, name);
  await sellMembership(page);
  await expectSynced(page);
  await expect(page.getByTestId("clock-warning")).toHaveCount(0);

  await context.setOffline(true);
  await context.clock.setSystemTime(Date.now() - 2 * HOUR);
  await page.reload();
  await expect(page.getByTestId("member-name")).toHaveText(name);
  const slow = /^This device's clock is (2 h|1 h 5\d min) slow\. Set its date and time right: until then nothing can be recorded here\.$/;
  // At once: the page is up, and it already says so (not after the next periodic check).
  await expect(page.getByTestId("clock-warning")).toHaveText(slow, { timeout: 3_000 });
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText(
    /^Nothing was saved: this device's clock is (2 h|1 h 5\d min) slow\. Set its date and time right, then try again\.$/,
  );
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0");

  // Set right again (still offline), it records.
  await context.clock.setSystemTime(Date.now());
  await expect(page.getByTestId("clock-warning")).toHaveCount(0, { timeout: 15_000 });
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");
  await context.close();
});
