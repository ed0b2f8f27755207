import { test, expect, Page } from "@playwright/test";
import { pushMembers } from "./events";
import { signIn, uniqueTag, waitForOfflineReady } from "./helpers";

function names(page: Page) {
  return page.getByTestId("member-list").locator("strong");
}

test("search ignores accents, case and how a name was typed, and finds phone numbers by their digits", async ({
  page,
  request,
}) => {
  const tag = uniqueTag();
  const phone = `(555) 0${Math.floor(Math.random() * 90 + 10)}-${Math.floor(Math.random() * 9000 + 1000)}`;
  await pushMembers(request, [
    { name: `Jürgen ${tag}` },
    { name: `Renée ${tag}` },
    { name: `Pat ${tag}`, phone },
  ]);
  await signIn(page);
  await waitForOfflineReady(page);
  const search = page.getByLabel("Search members");

  await search.fill(`jurgen ${tag}`);
  await expect(names(page)).toHaveText([`Jürgen ${tag}`]);
  await search.fill(`${tag.toUpperCase()} RENEE`);
  await expect(names(page)).toHaveText([`Renée ${tag}`]);
  // The same name typed with a combining accent (as some keyboards and pasted text give it).
  await search.fill(`Rene\u0301e ${tag}`);
  await expect(names(page)).toHaveText([`Renée ${tag}`]);
  await search.fill(phone.replace(/\D/g, ""));
  await expect(names(page)).toHaveText([`Pat ${tag}`]);
  await search.fill(phone.replace(/\D/g, "").slice(0, 3) + " " + phone.replace(/\D/g, "").slice(3));
  await expect(names(page)).toHaveText([`Pat ${tag}`]);
});

test("names are sorted as people of the language expect, not by code point", async ({ page, request }) => {
  const tag = uniqueTag();
  await pushMembers(
    request,
    ["Zoë", "Łukasz", "Émile", "bram", "Anna 10", "Anna 9"].map((first) => ({ name: `${first} ${tag}` })),
  );
  await signIn(page);
  await waitForOfflineReady(page);
  await page.getByLabel("Search members").fill(tag);
  await expect(names(page)).toHaveText(
    ["Anna 9", "Anna 10", "bram", "Émile", "Łukasz", "Zoë"].map((first) => `${first} ${tag}`),
  );
});

test("letters that are not an accent on a plain letter are found by the letters people type for them", async ({
  page,
  request,
}) => {
  const tag = uniqueTag();
  const phone = `0470 ${Math.floor(Math.random() * 90 + 10)}.${Math.floor(Math.random() * 90 + 10)}.56`;
  await pushMembers(request, [
    { name: `Łucja ${tag}` },
    { name: `Søren ${tag}` },
    { name: `Ægir ${tag}` },
    { name: `Gertrud Straße ${tag}` },
    { name: `Siobhán O’Brien ${tag}` },
    { name: `Ines ${tag}`, phone },
  ]);
  await signIn(page);
  await waitForOfflineReady(page);
  const search = page.getByLabel("Search members");
  // The browser's collator says what Ł, ø, æ and ß stand for; the shared search does the rest.
  for (const [typed, found] of [
    ["lucja", "Łucja"],
    ["soren", "Søren"],
    ["aegir", "Ægir"],
    ["strasse", "Gertrud Straße"],
    ["o'brien", "Siobhán O’Brien"],
    ["obrien siobhan", "Siobhán O’Brien"],
  ]) {
    await search.fill(`${typed} ${tag}`);
    await expect(names(page), `"${typed}"`).toHaveText([`${found} ${tag}`]);
  }
  // A phone number as someone reads it out, with other separators than the ones stored.
  await search.fill(phone.replace(/\./g, " ").replace(" ", "/"));
  await expect(names(page)).toHaveText([`Ines ${tag}`]);
});
