import { test, expect, Browser, Page } from "@playwright/test";
import { ACCOUNTS, PASSWORD, Who } from "./accounts";
import { apiSignIn, pushMembers, serverEvents, uuidv7 } from "./events";
import {
  connection,
  deviceOf,
  ensurePlan,
  expectSynced,
  failOnPageErrors,
  openMember,
  registerMember,
  sellMembership,
  signIn,
  staffAtDesk,
  storedOnDevice,
  uniqueName,
  waitForOfflineReady,
} from "./helpers";
import { faraday, suiteDatabaseUrl } from "./server";

/** A fresh device (browser profile) with `who` signed in, ready to work offline. */
async function device(browser: Browser, who: Who = "desk") {
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await signIn(page, who);
  await waitForOfflineReady(page);
  return { context, page, noErrors };
}

/** The names of the members a device's IndexedDB holds, events and rows alike. */
async function namesOnDevice(page: Page): Promise<string[]> {
  const { events, members } = await storedOnDevice(page);
  return [
    ...events.filter((e) => e.type === "MemberRegistered").map((e) => e.data.name as string),
    ...members.map((m) => m.state.name as string),
  ];
}

test("without anyone signed in, every route shows the sign-in page, online and offline", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const noErrors = failOnPageErrors(page);
  await page.goto("/check-ins");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(page.getByTestId("staff")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Register" })).toHaveCount(0);

  // A wrong password is said as the server says it, and nobody is signed in.
  await page.getByLabel("Email").fill(ACCOUNTS.desk.email);
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("sign-in-error")).toContainText("wrong");
  await expect(page.getByTestId("staff")).toHaveCount(0);

  // Offline, a first sign-in cannot be checked: the page says what is needed.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await context.setOffline(true);
  await page.goto("/members/new");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Email").fill(ACCOUNTS.desk.email);
  await page.getByLabel("Password").fill("whatever it is");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("sign-in-error")).toHaveText(
    "You need a connection to sign in for the first time on this device.",
  );
  noErrors();
  await context.close();
});

test("signed in, a device keeps working offline over a reload, and what it did reaches the server as that staff member's", async ({
  browser,
}) => {
  const { context, page, noErrors } = await device(browser);
  const desk = await staffAtDesk(page);
  await expect(page.getByTestId("staff-role")).toHaveText("front desk");
  await expect(page.getByTestId("staff-club")).toHaveText("Demo club");
  await ensurePlan(page);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId("staff-name")).toHaveText(ACCOUNTS.desk.name);
  const name = uniqueName("Olga");
  await registerMember(page, name);
  await sellMembership(page);
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "3");

  await context.setOffline(false);
  await expectSynced(page);
  const events = await serverEvents(page.request);
  const registered = events.find((e) => e.type === "MemberRegistered" && e.data.name === name);
  expect(registered.staff).toBe(desk);
  const checkIn = events.find((e) => e.type === "MemberCheckedIn" && e.stream === registered.stream);
  expect(checkIn.staff).toBe(desk);
  const sale = events.find((e) => e.type === "MembershipSold" && e.stream === registered.stream);
  expect(sale.staff).toBe(desk);
  noErrors();
  await context.close();
});

test("a coach is offered neither registering nor checking in, and a push forged with the coach's session is refused and stores nothing", async ({
  browser,
  request,
}) => {
  const name = uniqueName("Carla");
  await pushMembers(request, [{ name }]);
  const { context, page, noErrors } = await device(browser, "coach");
  await expect(page.getByTestId("staff-role")).toHaveText("coach");
  await expect(page.getByRole("link", { name: "Register", exact: true })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Register a member" })).toHaveCount(0);

  await page.getByLabel("Search members").fill(name);
  const row = page.getByTestId("member-row").filter({ hasText: name });
  await expect(row).toHaveCount(1, { timeout: 30_000 });
  await expect(row.getByRole("button", { name: "Check in" })).toHaveCount(0);
  await openMember(page, name);
  await expect(page.getByTestId("check-in")).toHaveCount(0);
  await expect(page.getByText("Edit details")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Archive member…" })).toHaveCount(0);
  // Typed in by hand, the register page says why instead of offering a form.
  await page.goto("/members/new");
  await expect(page.getByTestId("register-forbidden")).toHaveText("A coach may not register or change members.");

  // The coach's own session, pushing what the app would never make for a coach.
  const [device_, coach] = [await deviceOf(page), await staffAtDesk(page)];
  const forged = `Forged ${uniqueName("Fay")}`;
  const stream = `member-${uuidv7()}`;
  const response = await page.request.post("/api/sync/push", {
    data: {
      device: device_,
      batches: [
        {
          stream,
          parent_version: 0,
          events: [
            {
              id: uuidv7(),
              stream,
              version: 1,
              type: "MemberRegistered",
              schema_version: 1,
              data: { name: forged, email: "", phone: "" },
              hlc: { ms: Date.now(), c: 0 },
              device: device_,
              staff: coach,
            },
          ],
        },
      ],
    },
  });
  expect(response.status(), await response.text()).toBe(403);
  expect((await response.json()).error.code).toBe("forbidden");
  const events = await serverEvents(request);
  expect(events.filter((e) => e.stream === stream)).toHaveLength(0);
  noErrors();
  await context.close();
});

test("devices of two clubs never see each other's members, and a device never takes a second club's staff", async ({
  browser,
}) => {
  const a = await device(browser, "desk");
  const b = await device(browser, "other");
  await expect(b.page.getByTestId("staff-club")).toHaveText("Other club");
  const [alpha, beta] = [uniqueName("Alpha"), uniqueName("Beta")];
  await registerMember(a.page, alpha);
  await registerMember(b.page, beta);
  await expectSynced(a.page);
  await expectSynced(b.page);
  // Each catches up with its own club's log (a reload pulls what it lacks).
  for (const { page } of [a, b]) {
    await page.reload();
    await expect(connection(page)).toHaveText("Online");
    await expect(page.getByTestId("sync-behind")).toHaveCount(0);
  }

  const onA = await namesOnDevice(a.page);
  const onB = await namesOnDevice(b.page);
  expect(onA).toContain(alpha);
  expect(onA).not.toContain(beta);
  expect(onB).toContain(beta);
  expect(onB).not.toContain(alpha);
  // Nothing at all of the Demo club: every member B holds is one of its own club's log.
  const otherClub = (await serverEvents(b.page.request)).filter((e) => e.type === "MemberRegistered").map((e) => e.data.name);
  for (const held of onB) expect(otherClub).toContain(held);

  // A Demo club account on the Other club's device: refused, and nothing of the Demo club arrives.
  await b.page.goto("/login");
  await b.page.getByLabel("Email").fill(ACCOUNTS.manager.email);
  await b.page.getByLabel("Password").fill(PASSWORD);
  await b.page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(b.page.getByTestId("sign-in-error")).toContainText("This device holds the data of Other club");
  await expect(b.page.getByTestId("staff-name")).toHaveText(ACCOUNTS.other.name);
  expect(await namesOnDevice(b.page)).not.toContain(alpha);
  a.noErrors();
  b.noErrors();
  await a.context.close();
  await b.context.close();
});

test("signing out the last staff member deletes the device's data, after saying what was not sent", async ({ browser }) => {
  const { context, page, noErrors } = await device(browser);
  const synced = uniqueName("Sid");
  await registerMember(page, synced);
  await expectSynced(page);
  await context.setOffline(true);
  const unsent = uniqueName("Uli");
  await registerMember(page, unsent);

  await page.getByTestId("sign-out").click();
  const confirm = page.getByTestId("sign-out-confirm");
  await expect(confirm).toHaveAttribute("data-unsent", "1");
  await expect(confirm).toContainText("1 change could not be sent to the server (this device is offline)");
  await expect(confirm).toContainText("they would be lost");
  await page.getByTestId("sign-out-anyway").click();

  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(page.getByTestId("staff")).toHaveCount(0);
  const left = await storedOnDevice(page);
  expect(left.events).toEqual([]);
  expect(left.members).toEqual([]);
  const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("faraday.")));
  expect(kept.filter((k) => k !== "faraday.sign_outs_owed")).toEqual([]);
  noErrors();

  // Back online, the sign-out reaches the server by itself, before anyone signs in again: the
  // browser's cookie no longer opens the club's data.
  await context.setOffline(false);
  await expect
    .poll(async () => (await page.request.get("/api/sync/pull?after=0")).status(), { timeout: 15_000 })
    .toBe(401);
  // The device is a new one: its next sign-in starts from the server's log.
  await signIn(page);
  await openMember(page, synced);
  expect(await namesOnDevice(page)).not.toContain(unsent);
  await context.close();
});

test("staff switching on one desk: each one's changes carry their own staff id", async ({ browser }) => {
  const { context, page, noErrors } = await device(browser, "desk");
  const desk = await staffAtDesk(page);
  const name = uniqueName("Sven");
  await ensurePlan(page);
  await registerMember(page, name);
  await sellMembership(page);

  // A second staff member signs in on the same desk and takes over.
  await page.getByTestId("switch-staff").click();
  await page.getByTestId("sign-in-another").click();
  await expect(page.getByRole("heading", { name: "Sign in another staff member" })).toBeVisible();
  await signIn(page, "manager");
  const manager = await staffAtDesk(page);
  expect(manager).not.toBe(desk);
  await openMember(page, name);
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");

  // Handing the desk back needs no network.
  await context.setOffline(true);
  await page.getByTestId("switch-staff").click();
  await page.getByTestId("switch-to").filter({ hasText: ACCOUNTS.desk.name }).click();
  await expect(page.getByTestId("staff-name")).toHaveText(ACCOUNTS.desk.name);
  await page.getByText("Edit details").click();
  await page.getByLabel("Phone").fill("0470 12 12 12");
  await page.getByRole("button", { name: "Save details" }).click();
  await expect(page.getByTestId("details-saved")).toBeVisible();

  const stamped = async (events: any[]) => {
    const mine = events.filter((e) => e.stream === events.find((r) => r.data?.name === name)?.stream);
    return Object.fromEntries(mine.map((e) => [e.type, e.staff]));
  };
  const expected = { MemberRegistered: desk, MembershipSold: desk, MemberCheckedIn: manager, MemberDetailsChanged: desk };
  expect(await stamped((await storedOnDevice(page)).events)).toEqual(expected);
  await context.setOffline(false);
  await expectSynced(page);
  expect(await stamped(await serverEvents(page.request))).toEqual(expected);
  // The timeline says who did what.
  await expect(page.getByTestId("timeline").locator('li[data-type="MemberCheckedIn"] .by')).toHaveText(
    `by ${ACCOUNTS.manager.name}`,
  );
  noErrors();
  await context.close();
});

test("a device the server signed out keeps working and asks to sign in again to send its changes", async ({
  browser,
}) => {
  const { context, page, noErrors } = await device(browser, "owner");
  await expect(connection(page)).toHaveText("Online");
  await ensurePlan(page);
  // Every session of the owner ends on the server (a lost phone, say).
  faraday(suiteDatabaseUrl(), "user", "revoke", "--email", ACCOUNTS.owner.email);

  const name = uniqueName("Rita");
  await registerMember(page, name);
  const banner = page.getByTestId("sign-in-again");
  await expect(banner).toHaveText(/Sign in again to send your pending change\./, { timeout: 30_000 });
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "1");
  // Still working here meanwhile.
  await sellMembership(page);
  await page.getByTestId("check-in").click();
  await expect(page.getByTestId("member-message")).toHaveText("Checked in");
  await expect(banner).toHaveText(/Sign in again to send your 3 pending changes\./);

  await banner.getByRole("link", { name: "Sign in again" }).click();
  await signIn(page, "owner");
  await expect(banner).toHaveCount(0);
  await expectSynced(page);
  noErrors();
  await context.close();
});

test("a request without a session is refused, the pages are not", async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  expect((await anonymous.get("/api/sync/pull?after=0")).status()).toBe(401);
  expect((await (await anonymous.get("/api/auth/session")).json()).error.code).toBe("not_signed_in");
  expect((await anonymous.get("/login")).status()).toBe(200);
  // Signed in as a device, it reads its club's log.
  await apiSignIn(anonymous, "e2e-anonymous");
  expect((await anonymous.get("/api/sync/pull?after=0&limit=1")).status()).toBe(200);
  await anonymous.dispose();
});
