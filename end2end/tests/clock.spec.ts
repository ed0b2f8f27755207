import { test, expect } from "@playwright/test";
import { serverEvents } from "./events";
import { expectSynced, openMember, registerMember, uniqueName, waitForOfflineReady } from "./helpers";

const HOUR = 3_600_000;
const WARNING =
  "This device's clock is 2 h fast. Set its date and time right: changes made here are refused by the server until then.";

test("a device whose clock is 2 h fast is told so on every page, and what it records is set aside with the server's reason", async ({
  browser,
  request,
}) => {
  const right = await browser.newContext();
  const fast = await browser.newContext();
  await fast.clock.install({ time: Date.now() + 2 * HOUR });

  const desk = await right.newPage();
  await desk.goto("/");
  await waitForOfflineReady(desk);
  const name = uniqueName("Tess");
  await registerMember(desk, name);
  await expectSynced(desk);
  await expect(desk.getByTestId("clock-warning")).toHaveCount(0);

  const phone = await fast.newPage();
  await phone.goto("/");
  await waitForOfflineReady(phone);
  await expect(phone.getByTestId("clock-warning")).toHaveText(WARNING);
  await phone.getByRole("link", { name: "Today" }).click();
  await expect(phone.getByTestId("clock-warning")).toHaveText(WARNING);

  // A check-in made there is refused by the server, and kept, with the reason, in the timeline.
  await openMember(phone, name);
  await expect(phone.getByTestId("clock-warning")).toHaveText(WARNING);
  await phone.getByTestId("check-in").click();
  await expect(phone.getByTestId("sync-rejected")).toHaveText("1 not accepted", { timeout: 30_000 });
  const refused = phone.getByTestId("timeline").locator('li.rejected[data-type="MemberCheckedIn"]');
  await expect(refused).toContainText("not accepted: ");
  await expect(refused).toContainText("2 h ahead of the server's clock");
  await expect(refused).toContainText("set its date and time right");

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
