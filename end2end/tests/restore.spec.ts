import { test, expect, Page } from "@playwright/test";
import { serverEvents } from "./events";
import {
  connection,
  ensurePlan,
  expectSynced,
  openMember,
  registerMember,
  sellMembership,
  signIn,
  uniqueName,
  waitForOfflineReady,
} from "./helpers";
import { faraday, freshDatabase, OwnServer, restoreBackup, suiteDatabaseUrl, takeBackup } from "./server";

async function memberTotal(page: Page) {
  await page.getByRole("link", { name: "Members", exact: true }).click();
  return Number(await page.getByTestId("member-count").getAttribute("data-total"));
}

/** The club the page's staff member works in (each club has its own log, and epoch). */
async function clubOf(page: Page): Promise<string> {
  const sessions = await (await page.request.get("/api/auth/session")).json();
  return sessions[0].club;
}

test("after the server's log gets a new identity, an open page syncs again, keeps every member and says what happened", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await waitForOfflineReady(page);
  const name = uniqueName("Epi");
  await registerMember(page, name);
  await expectSynced(page);
  // Caught up with the club's whole log (a new device pulls what earlier tests stored).
  await expect(page.getByTestId("sync-last")).toHaveText(/^synced/, { timeout: 30_000 });
  const total = await memberTotal(page);

  faraday(suiteDatabaseUrl(), "new-epoch", "--club", await clubOf(page));

  // The page hears it from the live stream's next status (its heartbeat), without a reload.
  await expect(page.getByTestId("log-restored")).toHaveText(
    /^The server's data was restored from an older copy \(at \d\d:\d\d\)\. This device synced again: the server had all of its changes\.$/,
    { timeout: 60_000 },
  );
  await expect(page.getByTestId("sync-progress")).toHaveCount(0);
  expect(await memberTotal(page)).toBe(total);
  await openMember(page, name);
  await expect(page.getByTestId("timeline").locator("li.confirmed")).toHaveCount(1);
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0");
  await context.close();
});

test("a server restored from an older copy gets back, from the device, every change the copy lacks", async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const server = new OwnServer(3102, freshDatabase("before"));
  await server.start();
  const context = await browser.newContext({ baseURL: server.url });
  try {
    const page = await context.newPage();
    await signIn(page);
    await waitForOfflineReady(page);
    const kept = uniqueName("Kept");
    await ensurePlan(page);
    await registerMember(page, kept);
    await sellMembership(page);
    await expectSynced(page);

    // The backup is taken here, of the whole database (the staff's sessions with it)...
    const club = await clubOf(page);
    await server.stop();
    const backup = takeBackup(server.databaseUrl);
    await server.start();
    await expect(connection(page)).toHaveText("Online", { timeout: 30_000 });

    // ...then more happens, and is confirmed by the server.
    await page.getByTestId("check-in").click();
    await expect(page.getByTestId("member-message")).toHaveText("Checked in");
    const later = uniqueName("Later");
    await registerMember(page, later);
    await expectSynced(page);
    await expect(page.getByTestId("timeline").locator("li.confirmed")).toHaveCount(1);

    // The server's database is lost and put back from the backup; the log then gets a new identity.
    await server.stop();
    restoreBackup(backup, server.databaseUrl);
    faraday(server.databaseUrl, "new-epoch", "--club", club);
    await server.start();

    await expect(page.getByTestId("log-restored")).toHaveText(
      /^The server's data was restored from an older copy \(at \d\d:\d\d\)\. This device synced again and is sending back 2 changes the server no longer had\.$/,
      { timeout: 60_000 },
    );
    await expect(connection(page)).toHaveText("Online");
    await expectSynced(page, 60_000);
    await expect(page.getByTestId("member-name")).toHaveText(later);
    await expect(page.getByTestId("timeline").locator("li.confirmed")).toHaveCount(1);
    await openMember(page, kept);
    await expect(page.getByTestId("timeline").locator("li.confirmed")).toHaveCount(3);

    const events = await serverEvents(page.request);
    expect(events.filter((e) => e.type === "MemberRegistered" && e.data.name === later)).toHaveLength(1);
    const keptStream = events.find((e) => e.type === "MemberRegistered" && e.data.name === kept).stream;
    expect(events.filter((e) => e.stream === keptStream && e.type === "MemberCheckedIn")).toHaveLength(1);
  } finally {
    await context.close();
    await server.stop();
  }
});
