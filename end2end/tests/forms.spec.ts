import { test, expect } from "@playwright/test";
import { ensurePlan, expectSynced, registerMember, sellMembership, signIn, uniqueName, waitForOfflineReady } from "./helpers";

test.describe("a form saves all of its changes or none, and says what is wrong beside each field", () => {
  test("registration shows every wrong value at once, stores nothing, and registers once fixed", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await page.goto("/members/new");
    await waitForOfflineReady(page);

    await page.getByLabel("Email").fill("bo@nowhere");
    await page.getByLabel("Phone").fill("12");
    await page.getByRole("button", { name: "Register member" }).click();

    await expect(page.getByTestId("form-problem")).toHaveText("Nothing was saved: fix the 3 values marked below.");
    await expect(page.getByTestId("name-error")).toHaveText("The name is required");
    await expect(page.getByTestId("email-error")).toHaveText('"bo@nowhere" is not an e-mail address');
    await expect(page.getByTestId("phone-error")).toContainText('"12" is not a phone number');
    await expect(page.getByLabel("Phone")).toHaveAttribute("aria-invalid", "true");
    await expect(page).toHaveURL(/\/members\/new$/);
    await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0");

    // Fixing a field takes its message away; the others stay until they are fixed too.
    const name = uniqueName("Bo");
    await page.getByLabel("Name").fill(name);
    await expect(page.getByTestId("name-error")).toBeHidden();
    await expect(page.getByTestId("email-error")).toBeVisible();
    await page.getByLabel("Email").fill("bo@example.be");
    await page.getByLabel("Phone").fill("+32 470 12 34 56");
    await page.getByRole("button", { name: "Register member" }).click();
    await expect(page.getByTestId("member-name")).toHaveText(name);
    await context.close();
  });

  test("a valid e-mail is not saved while the phone beside it is wrong", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await waitForOfflineReady(page);
    const name = uniqueName("Edda");
    await registerMember(page, name, "edda@example.be", "0470 11 22 33");
    await expectSynced(page);

    await page.getByText("Edit details").click();
    await page.getByLabel("Name").fill("   ");
    await page.getByLabel("Email").fill("edda@new.example.be");
    await page.getByLabel("Phone").fill("12");
    await page.getByRole("button", { name: "Save details" }).click();

    await expect(page.getByTestId("form-problem")).toHaveText("Nothing was saved: fix the 2 values marked below.");
    await expect(page.getByTestId("edit-name-error")).toHaveText("The name is required");
    await expect(page.getByTestId("edit-phone-error")).toContainText('"12" is not a phone number');
    await expect(page.getByTestId("edit-email-error")).toBeHidden();
    // Nothing of it was stored: not the e-mail either.
    await expect(page.locator(".member-head .contact")).toHaveText("edda@example.be · 0470 11 22 33");
    await expect(page.getByTestId("timeline").locator("li")).toHaveCount(1);
    await expect(page.getByTestId("sync-pending")).toHaveAttribute("data-count", "0");

    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Phone").fill("  0470 99 88 77 ");
    await page.getByRole("button", { name: "Save details" }).click();
    await expect(page.getByTestId("details-saved")).toHaveText("Details saved");
    await expect(page.locator(".member-head .contact")).toHaveText("edda@new.example.be · 0470 99 88 77");
    // Stored as the domain normalises it, and shown so.
    await expect(page.getByLabel("Phone")).toHaveValue("0470 99 88 77");
    await expect(page.getByTestId("timeline").locator('li[data-type="MemberDetailsChanged"]')).toHaveCount(2);

    // Saving again without a change is said, not silently ignored.
    await page.getByRole("button", { name: "Save details" }).click();
    await expect(page.getByTestId("form-problem")).toHaveText("Nothing to save: the details are as they were.");
    await context.close();
  });
});

test("archiving sits apart from Save and asks first", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await waitForOfflineReady(page);
  const name = uniqueName("Ari");
  await registerMember(page, name);

  await expect(page.getByTestId("details-form").getByRole("button", { name: /archive/i })).toHaveCount(0);
  await page.getByRole("button", { name: "Archive member…" }).click();
  await expect(page.getByTestId("archive")).toContainText(`Archive ${name}? They are hidden from search`);
  await page.getByRole("button", { name: "Keep member" }).click();
  await expect(page.locator(".member-head .tag", { hasText: "archived" })).toHaveCount(0);
  await expect(page.getByTestId("timeline").locator('li[data-type="MemberArchived"]')).toHaveCount(0);

  await page.getByRole("button", { name: "Archive member…" }).click();
  await page.getByRole("button", { name: "Yes, archive" }).click();
  await expect(page.locator(".member-head .tag", { hasText: "archived" })).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Restore member" })).toBeVisible();
  await expect(page.getByTestId("timeline").locator('li[data-type="MemberArchived"]')).toHaveCount(1);
  await context.close();
});

test("a check-in's message sits in that member's row and goes when the search changes", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await waitForOfflineReady(page);
  const name = uniqueName("Rowan");
  await ensurePlan(page);
  await registerMember(page, name);
  await sellMembership(page);
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await page.getByLabel("Search members").fill(name);

  const row = page.getByTestId("member-row").filter({ hasText: name });
  // A double tap: the first tap's success stays on screen, and one check-in is stored.
  await row.getByRole("button", { name: "Check in" }).dblclick();
  await expect(row.getByTestId("row-notice")).toHaveText(`${name} checked in`);
  await expect(row.locator(".last")).toHaveText("checked in just now");

  // Looking for someone else: the old message no longer belongs on screen.
  await page.getByLabel("Search members").fill("someone else");
  await expect(page.getByTestId("row-notice")).toHaveCount(0);
  await page.getByLabel("Search members").fill(name);
  await expect(page.getByTestId("member-row").filter({ hasText: name })).toHaveCount(1);
  await expect(page.getByTestId("row-notice")).toHaveCount(0);

  // Asked again later, the desk hears the rule in clock times.
  await row.getByRole("button", { name: "Check in" }).click();
  await expect(row.getByTestId("row-notice")).toHaveText(
    // After 23:50 the time falls on the next day, which the message then names ("1 Dec 00:01").
    /^Already checked in at \d\d:\d\d — possible again at (\d{1,2} [A-Z][a-z]{2} )?\d\d:\d\d\.$/,
  );
  await page.getByRole("link", { name: new RegExp(name) }).click();
  await expect(page.getByTestId("timeline").locator('li[data-type="MemberCheckedIn"]')).toHaveCount(1);
  await context.close();
});
