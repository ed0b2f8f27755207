import { test, expect, BrowserContext, Page } from "@playwright/test";
import { expectSynced, openMember, registerMember, signIn, uniqueName, waitForOfflineReady } from "./helpers";
import { uuidv7 } from "./events";

/** The store's version in this build (frontend/src/store/schema.rs). */
const CURRENT = 8; // 4, plus the clubs and voids tables and the voids index (issue 12), and the classes table (issue 13)

/** A page of the app's origin that does not run the app: a stand-in for another tab's code. */
async function otherTab(context: BrowserContext) {
  const tab = await context.newPage();
  await tab.goto("/manifest.webmanifest");
  return tab;
}

/** Opens the store at `version` from `tab`, as a newer version of the app would; fails if blocked. */
function openNewer(tab: Page, version: number) {
  return tab.evaluate(
    (version) =>
      new Promise<number>((resolve, reject) => {
        const request = indexedDB.open("faraday", version);
        request.onblocked = () => reject(new Error("blocked by another tab"));
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          request.result.close();
          resolve(version);
        };
      }),
    version,
  );
}

const NEWER =
  "A newer version of Faraday has updated this device's data. Reload to use it.";

test("another tab's upgrade of the store is never blocked: an idle page lets go and reloads by itself", async ({
  page,
}) => {
  await signIn(page);
  await waitForOfflineReady(page);
  const name = uniqueName("Ida");
  await registerMember(page, name);
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0", { timeout: 30_000 });

  const reloaded = page.waitForEvent("load");
  expect(await openNewer(await otherTab(page.context()), CURRENT + 1)).toBe(CURRENT + 1);
  await reloaded;
  // Reloaded, this page's version is older than the store now: it says so instead of failing.
  await expect(page.getByTestId("store-notice")).toContainText(NEWER);
  await expect(page.getByRole("button", { name: "Reload" })).toBeVisible();
});

test("with changes waiting to be sent, the page asks staff to reload instead, and the changes are kept", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await waitForOfflineReady(page);
  await context.setOffline(true);
  const name = uniqueName("Pia");
  await registerMember(page, name);
  await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "1");

  const tab = await otherTab(context);
  expect(await openNewer(tab, CURRENT + 1)).toBe(CURRENT + 1);
  await expect(page.getByTestId("store-notice")).toContainText(
    "Faraday was updated in another tab. Reload this page to carry on: your 1 change not yet sent is kept on this device.",
  );
  // Not reloaded: staff may be in the middle of something; a change they try now is not saved,
  // and they hear why.
  await expect(page.getByTestId("member-name")).toHaveText(name);
  await page.getByText("Edit details").click();
  await page.getByLabel("Phone").fill("0470 99 99 99");
  await page.getByRole("button", { name: "Save details" }).click();
  await expect(page.getByTestId("form-problem")).toContainText("reload");

  // Nothing is lost: the pending registration is in the upgraded store.
  const stored = await tab.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const request = indexedDB.open("faraday");
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const all = db.transaction("events").objectStore("events").getAll();
          all.onsuccess = () => {
            db.close();
            resolve(all.result.filter((r: any) => r.pending !== undefined).map((r: any) => JSON.parse(r.envelope).data.name));
          };
        };
      }),
  );
  expect(stored).toEqual([name]);
  await context.close();
});

test("a page that must upgrade the store while an older tab holds it says so, and carries on once it is closed", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const tab = await otherTab(context);
  // The first version's store, held open by a tab of that version (which knew nothing of upgrades).
  await tab.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open("faraday", 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          const events = db.createObjectStore("events", { keyPath: "id" });
          events.createIndex("by_stream", ["stream", "version"], { unique: false });
          events.createIndex("by_pending", "pending");
          events.createIndex("by_rejected", "rejected");
          events.createIndex("by_position", "position");
          db.createObjectStore("members", { keyPath: "id" });
          const checkIns = db.createObjectStore("check_ins", { keyPath: "event_id" });
          checkIns.createIndex("by_at", "at_ms");
          checkIns.createIndex("by_member", "member");
          db.createObjectStore("meta", { keyPath: "key" });
        };
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          (window as any).oldVersion = request.result;
          resolve();
        };
      }),
  );

  const page = await context.newPage();
  await page.goto("/login");
  await expect(page.getByTestId("store-notice")).toHaveText(
    "Faraday is waiting for its other tabs: close every other Faraday tab or window on this device so this one can update its data.",
  );
  await tab.evaluate(() => (window as any).oldVersion.close());

  await expect(page.getByTestId("store-notice")).toHaveCount(0);
  await signIn(page);
  await expect(page.getByTestId("member-count")).toBeVisible();
  const upgraded = await tab.evaluate(
    () =>
      new Promise<{ version: number; indexes: string[] }>((resolve) => {
        const request = indexedDB.open("faraday");
        request.onsuccess = () => {
          const db = request.result;
          const indexes = Array.from(db.transaction("events").objectStore("events").indexNames);
          db.close();
          resolve({ version: db.version, indexes });
        };
      }),
  );
  expect(upgraded).toEqual({ version: CURRENT, indexes: ["by_corrected", "by_pending", "by_rejected", "by_stream"] });
  await context.close();
});

test("a store of the previous layout keeps its work: its read models are rebuilt from its log, and what waited is sent", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const tab = await otherTab(context);
  const name = uniqueName("Vera");
  const now = Date.now();
  const [device, id, member] = [uuidv7(now), uuidv7(now), uuidv7(now)];
  // Version 3's store: a registration made offline and never sent, and its member row in the
  // shape version 3 stored (flattened, keyed by the bare id).
  await tab.evaluate(
    ({ name, now, device, id, member }) =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open("faraday", 3);
        request.onupgradeneeded = () => {
          const db = request.result;
          const events = db.createObjectStore("events", { keyPath: "id" });
          events.createIndex("by_stream", ["stream", "version"], { unique: false });
          events.createIndex("by_pending", "pending");
          events.createIndex("by_rejected", "rejected");
          events.createIndex("by_corrected", "corrected");
          db.createObjectStore("members", { keyPath: "id" });
          const checkIns = db.createObjectStore("check_ins", { keyPath: "event_id" });
          checkIns.createIndex("by_at", "at_ms");
          checkIns.createIndex("by_member", "member");
          db.createObjectStore("meta", { keyPath: "key" });
        };
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const tx = db.transaction(["events", "members", "meta"], "readwrite");
          const stream = `member-${member}`;
          const envelope = {
            id,
            stream,
            version: 1,
            type: "MemberRegistered",
            schema_version: 1,
            data: { name, email: "", phone: "" },
            hlc: { ms: now, c: 0 },
            device,
          };
          tx.objectStore("events").put({ id, stream, version: 1, pending: 0, state: 0, envelope: JSON.stringify(envelope) });
          tx.objectStore("members").put({ id: member, version: 1, pending: 1, rejected: 0, name, registered: true });
          tx.objectStore("meta").put({ key: "device", value: device });
          tx.objectStore("meta").put({ key: "seq", value: 1 });
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { name, now, device, id, member },
  );

  const page = await context.newPage();
  // Signing in binds the session to the device id the old store holds: its unsent registration,
  // made before accounts existed, goes as this staff member's.
  await signIn(page);
  await openMember(page, name);
  await expectSynced(page);
  const response = await page.request.get(`/api/read/members/${member}`);
  expect(response.status(), await response.text()).toBe(200);
  await context.close();
});
