import { test, expect, Page } from "@playwright/test";
import { numbered, pushMembers } from "./events";
import { signIn, uniqueTag, waitForOfflineReady } from "./helpers";

/** How many (unarchived) members the device shows. */
async function memberTotal(page: Page) {
  return Number(await page.getByTestId("member-count").getAttribute("data-total"));
}

test("a new device shows how far its first sync has come", async ({ browser, request }) => {
  await pushMembers(request, numbered(`Boot ${uniqueTag()}`, 2_000));
  await pushMembers(request, numbered(`Boot ${uniqueTag()}`, 500));

  const context = await browser.newContext();
  // Hold every pull after the first page, so the progress can be read while it stands still.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await context.route(/\/api\/sync\/pull\?after=[1-9]/, async (route) => {
    await released;
    // The page that asked may be gone (reloaded) by then.
    await route.continue().catch(() => {});
  });
  const page = await context.newPage();
  await signIn(page);
  await expect(page.getByTestId("sync-progress")).toHaveText(/^Updating… 1,000 of \d{1,3}(,\d{3})+$/, {
    timeout: 30_000,
  });
  await expect(page.getByTestId("sync-last")).toHaveCount(0);
  const total = Number((await page.getByTestId("sync-progress").textContent())!.split(" of ")[1].replace(/,/g, ""));

  // Reloaded without a network, the device still knows what it has not received: it does not say
  // "synced", and the members page says the list may be incomplete.
  await waitForOfflineReady(page);
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId("sync-behind")).toHaveText(`${(total - 1_000).toLocaleString("en-US")} changes not received yet`);
  await expect(page.getByTestId("sync-last")).toHaveCount(0);
  await expect(page.getByTestId("members-incomplete")).toContainText("has not received everything yet");
  await context.setOffline(false);

  release();
  await expect(page.getByTestId("sync-progress")).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId("sync-last")).toHaveText(/^synced/);
  await expect(page.getByTestId("members-incomplete")).toHaveCount(0);
  expect(await memberTotal(page)).toBeGreaterThanOrEqual(2_500);
  await context.close();
});

test("2,000 members arriving live are applied in a few steps, with progress, not one by one", async ({
  page,
  request,
}) => {
  await signIn(page);
  await waitForOfflineReady(page);
  await expect(page.getByTestId("sync-connection")).toHaveText("Online");
  // Caught up with what earlier tests stored (this device's first sync), so live from here on.
  await expect(page.getByTestId("sync-progress")).toHaveCount(0, { timeout: 30_000 });
  const before = await memberTotal(page);
  // Every progress text the badge shows, as it shows it.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as any).__progress = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="sync-progress"]')?.textContent;
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });

  await pushMembers(request, numbered(`Live ${uniqueTag()}`, 2_000));

  await expect.poll(() => memberTotal(page), { timeout: 30_000 }).toBe(before + 2_000);
  await expect(page.getByTestId("sync-progress")).toHaveCount(0);
  const progress: string[] = await page.evaluate(() => (window as any).__progress);
  expect(progress.length, "the catch-up was shown").toBeGreaterThan(0);
  for (const text of progress) expect(text).toMatch(/^Updating… [\d,]+ of [\d,]+$/);
  // One store transaction per step: applied one by one, this would count in the hundreds.
  expect(progress.length).toBeLessThanOrEqual(10);
});
