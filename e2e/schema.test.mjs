// End-to-end: the Schema panel in the built page. A schema change typed as SQL is checked at
// its lines and dry-run in place; mapping rules typed as JSON are checked, previewed, and used
// by Start migration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { watchErrors, suite } from './browser.mjs';

const s = suite(before, after);
const SHOTS = s.SHOTS;

async function openApp() {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(s.srv.base + '/');
  await page.locator('#topology').waitFor();
  return { page, errors };
}

const text = (page, sel) => page.locator(sel).textContent();

test('schema: a SQL change is checked at its lines, dry-run in place, and its rollback judged', async () => {
  const { page, errors } = await openApp();
  await page.click('#tab-schema');
  await page.locator('#tab-schema[aria-selected="true"]').waitFor();
  const panel = page.locator('section.schema');
  await panel.scrollIntoViewIfNeeded();
  assert.match(await text(page, '#schema-ddl'), /CREATE TABLE customers \(\n  id BIGINT PRIMARY KEY/);
  assert.match(await text(page, '#schema-dry-run'), /Type one or more statements/);

  // An error on line 3 is reported there, quoting that line.
  await page.fill('#schema-up',
    "ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic';\nALTER TABLE customers\n  DROP COLUMN nope;");
  const err = await text(page, '#schema-up-errors');
  assert.match(err, /up, line 2/, err);
  assert.match(err, /column "nope" of relation "customers" does not exist/, err);
  assert.equal(await page.locator('#schema-up[aria-invalid="true"]').count(), 1);
  await panel.screenshot({ path: `${SHOTS}/schema-sql-error.png` });

  // Fixed: the dry run reports each step's lock, and Down is judged on the data.
  await page.fill('#schema-up',
    "ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic';\nALTER TABLE customers\n  DROP COLUMN email;");
  await page.fill('#schema-down',
    'ALTER TABLE customers ADD COLUMN email TEXT;\nALTER TABLE customers DROP COLUMN tier;');
  await page.locator('#schema-locks').waitFor();
  assert.match(await text(page, '#schema-dry-run'), /Dry run on 1000 records .*: complete/);
  const locks = await page.locator('#schema-locks tbody tr').allTextContents();
  assert.equal(locks.length, 2, locks.join(' | '));
  assert.match(locks[1], /^22customersACCESS EXCLUSIVE/, 'step 2 starts on line 2');
  assert.match(await text(page, '#schema-reversibility'), /drops column customers\.email, which holds values in \d+ rows/);
  await panel.screenshot({ path: `${SHOTS}/schema-dry-run.png` });

  // A Down that keeps everything is judged so.
  await page.fill('#schema-up', "ALTER TABLE customers ADD COLUMN tier TEXT DEFAULT 'basic';");
  await page.fill('#schema-down', 'ALTER TABLE customers DROP COLUMN tier;');
  await page.waitForFunction(() => /gives back everything/.test(document.querySelector('#schema-reversibility')?.textContent ?? ''));
  assert.deepEqual(errors, []);
  await page.close();
});

test('schema: mapping rules as JSON are checked, previewed, and used by Start migration', async () => {
  const { page, errors } = await openApp();
  await page.click('#tab-schema');
  await page.locator('#schema-mapping').scrollIntoViewIfNeeded();
  assert.match(await text(page, '#schema-mapping-status'), /Using the suggested mapping/);
  const firstPreview = await page.locator('#schema-preview pre').first().textContent();
  assert.match(firstPreview, /"_id"/);

  await page.click('#schema-suggest');
  const rules = await page.inputValue('#schema-mapping');
  assert.match(rules, /"collections"/);
  assert.match(await text(page, '#schema-mapping-status'), /The rules are valid/);
  assert.equal(await page.locator('#schema-preview pre').first().textContent(), firstPreview,
    'the suggested rules written out build the same documents');

  // A syntax error names its line; Start refuses and says where.
  const line = 1 + rules.split('\n').findIndex((l) => l.includes('"collections"'));
  await page.fill('#schema-mapping', rules.replace('"collections"', '"collections" :'));
  assert.match(await text(page, '#schema-mapping-errors'), new RegExp(`mapping, line ${line}`));
  await page.click('#tab-migration');
  await page.click('#mig-start');
  await page.locator('#error').waitFor();
  assert.match(await text(page, '#error'), new RegExp(`Mapping rules \\(Schema view\\), line ${line}`));
  assert.equal(await page.locator('#mig-status').count(), 0, 'nothing started');
  await page.click('#tab-schema');
  await page.locator('section.schema').screenshot({ path: `${SHOTS}/schema-mapping-error.png` });

  // Rules that call the orders collection "purchases": the migration runs with them.
  const edited = JSON.parse(rules);
  edited.collections.find((c) => c.collection === 'orders').collection = 'purchases';
  await page.fill('#schema-mapping', JSON.stringify(edited, null, 2));
  assert.match(await text(page, '#schema-mapping-status'), /The rules are valid/);
  assert.match(await page.locator('#schema-preview').textContent(), /purchases · \d+ documents/);
  await page.click('#tab-migration');
  await page.selectOption('#mig-rows', '500');
  await page.click('#mig-start');
  await page.locator('#mig-status').waitFor();
  for (let i = 0; i < 4; i++) await page.keyboard.press('+');
  await page.waitForFunction(() => /Outcome: complete/.test(document.querySelector('#mig-outcome').textContent),
    null, { timeout: 60_000 });
  assert.match(await text(page, '#mig-verification'), /Verification: passed/);
  assert.equal(await page.locator('#mig-table-purchases').count(), 1, 'the typed rules were used');
  assert.equal(await page.locator('#mig-table-orders').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});
