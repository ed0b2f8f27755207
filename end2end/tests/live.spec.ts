import { test, expect } from "@playwright/test";
import { connection, ensurePlan, registerMember, sellMembership, signIn, uniqueName, waitForOfflineReady } from "./helpers";

test("another device shows a check-in live, without a reload", async ({ browser }) => {
  const desk = await browser.newContext();
  const office = await browser.newContext();
  const deskPage = await desk.newPage();
  const officePage = await office.newPage();
  await signIn(officePage);
  await officePage.goto("/check-ins");
  await waitForOfflineReady(officePage);
  await expect(connection(officePage)).toHaveText("Online");
  await signIn(deskPage);
  await waitForOfflineReady(deskPage);

  const name = uniqueName("Dries");
  await ensurePlan(deskPage);
  await registerMember(deskPage, name);
  await sellMembership(deskPage);
  await deskPage.getByTestId("check-in").click();
  await expect(deskPage.getByTestId("sync-pending")).toHaveAttribute("data-count", "0", { timeout: 30_000 });

  // The office never reloads: the event arrives over the live stream.
  const row = officePage.getByTestId("check-ins-today").locator("li", { hasText: name });
  await expect(row).toHaveCount(1, { timeout: 15_000 });
  await expect(row.locator(".tag.pending")).toHaveCount(0);
  await row.getByRole("link", { name }).click();
  await expect(officePage.getByTestId("member-name")).toHaveText(name);
  await expect(officePage.getByTestId("timeline").locator("li.confirmed")).toHaveCount(3);
  await desk.close();
  await office.close();
});
