import { test, expect, Page } from "@playwright/test";
import {
  connection,
  ensurePlan,
  expectSynced,
  failOnPageErrors,
  registerMember,
  sellMembership,
  signIn,
  uniqueName,
  waitForOfflineReady,
} from "./helpers";
import { freshDatabase, OwnServer } from "./server";

/** Records every text the badge's connection and last-sync parts ever show, from the first paint. */
async function recordBadge(page: Page) {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as any).__badge = seen;
    new MutationObserver(() => {
      for (const id of ["sync-connection", "sync-last"]) {
        const text = document.querySelector(`[data-testid="${id}"]`)?.textContent;
        if (text != null && !seen.includes(`${id}: ${text}`)) seen.push(`${id}: ${text}`);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

test("the badge says the server is unreachable, and why, while it is down, and keeps the last sync over a reload", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const server = new OwnServer(3101, freshDatabase("down"));
  await server.start();
  const context = await browser.newContext({ baseURL: server.url });
  // The page's clock, so that minutes of downtime pass without waiting for them.
  await context.clock.install();
  try {
    const page = await context.newPage();
    const noErrors = failOnPageErrors(page);
    await signIn(page);
    await waitForOfflineReady(page);
    await expect(connection(page)).toHaveText("Online");
    await expect(connection(page)).toHaveAttribute("data-state", "online");
    const name = uniqueName("Uma");
    await ensurePlan(page);
    await registerMember(page, name);
    await sellMembership(page);
    await expectSynced(page);
    await expect(page.getByTestId("sync-last")).toHaveText(/^synced \d\d:\d\d$/);

    await server.stop();
    // The network is up, the server is not: that is not "Online".
    await expect(connection(page)).toHaveText("Server unreachable");
    await expect(connection(page)).toHaveAttribute("data-state", "unreachable");
    await page.getByTestId("check-in").click();
    await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "1");
    // The reason is on screen, with the next try.
    await expect(page.getByTestId("sync-reason")).toHaveText(/^No connection to the server · retrying in \d+ s$/);
    // 90 s later (every retry and the live stream's silence watchdog have run): still the truth.
    await page.clock.fastForward(90_000);
    await expect(connection(page)).toHaveText("Server unreachable");
    await expect(page.getByTestId("sync-reason")).toHaveText(/^No connection to the server · retrying in \d+ s$/);
    await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "1");

    // A reload (from the service worker's shell) keeps when the server last answered, and the
    // first paint already knows it: never "never synced", never "Offline".
    await recordBadge(page);
    await page.reload();
    await expect(page.getByTestId("member-name")).toHaveText(name);
    await expect(page.getByTestId("sync-last")).toHaveText(/^synced \d\d:\d\d$/);
    await expect(connection(page)).toHaveText("Server unreachable");
    await expect(page.getByTestId("sync-reason")).toContainText("No connection to the server");
    const seen: string[] = await page.evaluate(() => (window as any).__badge);
    expect(seen).not.toContain("sync-last: never synced");
    expect(seen).not.toContain("sync-connection: Offline");
    expect(seen).not.toContain("sync-connection: Online");

    // Staff need not wait for the next retry once the server is back.
    await server.start();
    await page.getByTestId("sync-now").click();
    await expect(connection(page)).toHaveText("Online", { timeout: 10_000 });
    await expectSynced(page, 70_000);
    await expect(page.getByTestId("sync-reason")).toHaveCount(0);
    await expect(page.getByTestId("sync-now")).toHaveCount(0);
    noErrors();
  } finally {
    await context.close();
    await server.stop();
  }
});

test("the badge says Offline when the browser has no network, and Online only once the server answered", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await waitForOfflineReady(page);
  await expect(connection(page)).toHaveText("Online");
  await context.setOffline(true);
  await expect(connection(page)).toHaveText("Offline");
  await expect(connection(page)).toHaveAttribute("data-state", "offline");
  await expect(page.getByTestId("sync-reason")).toHaveCount(0);

  // Back on the network: "Connecting…" until the server answers, then "Online".
  await recordBadge(page);
  await context.setOffline(false);
  await page.reload();
  await expect(connection(page)).toHaveText("Online");
  const seen: string[] = await page.evaluate(() => (window as any).__badge);
  expect(seen[0]).toBe("sync-connection: Connecting…");
  await context.close();
});
