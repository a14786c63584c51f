// Opens notebooks/01-why-async.ipynb in the course's JupyterLab (already running; see
// scripts/browser-test.sh), runs every cell through the real Rust kernel, and checks what a
// reader would see: the kernel is "Rust", no cell shows an error, the charts are drawn as SVG.
// Then it edits a parameter in one cell, re-runs that cell, and checks that its output changed.
// Screenshots go to ARTIFACTS. Chromium is always closed, whatever happens.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const url = process.env.LAB_URL;             // http://127.0.0.1:PORT
const token = process.env.LAB_TOKEN;
const artifacts = process.env.ARTIFACTS;
const userDataDir = process.env.CHROME_PROFILE;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const NOTEBOOK = "notebooks/01-why-async.ipynb";
const RUN_ALL_LIMIT_MS = 15 * 60 * 1000;
if (!url || !token || !artifacts || !userDataDir) {
  throw new Error("LAB_URL, LAB_TOKEN, ARTIFACTS and CHROME_PROFILE must be set");
}
mkdirSync(artifacts, { recursive: true });

const log = (...args) => console.log("   ", ...args);
const seconds = (start) => ((Date.now() - start) / 1000).toFixed(1);

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1400, height: 1000 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic"],
});
let failed = false;
const page = context.pages()[0] ?? await context.newPage();
try {
  const started = Date.now();
  await page.goto(`${url}/lab/tree/${NOTEBOOK}?token=${token}`);
  await page.locator(".jp-NotebookPanel").first().waitFor({ timeout: 120_000 });
  const kernelName = page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName");
  await kernelName.filter({ hasText: "Rust" }).waitFor({ timeout: 120_000 });
  log(`notebook open, kernel "${(await kernelName.innerText()).trim()}" (${seconds(started)} s)`);

  const codeCells = page.locator(".jp-Notebook .jp-CodeCell");
  const count = await codeCells.count();
  const running = page.locator(".jp-Notebook .jp-InputPrompt", { hasText: "[*]" });

  // Run → Run All Cells, from the menu, as a reader would.
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
  await running.first().waitFor({ timeout: 60_000 });
  log(`running ${count} code cells…`);
  const runStarted = Date.now();
  while ((await running.count()) > 0) {
    if (Date.now() - runStarted > RUN_ALL_LIMIT_MS) throw new Error("Run All did not finish in 15 minutes");
    await page.waitForTimeout(2000);
  }
  log(`all cells ran in ${seconds(runStarted)} s`);
  await page.screenshot({ path: join(artifacts, "01-after-run-all.png"), fullPage: true });

  const prompts = await page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").allInnerTexts();
  const numbers = prompts.map((p) => Number((p.match(/\[(\d+)\]/) || [])[1]));
  if (numbers.some((n) => !Number.isInteger(n))) throw new Error(`cells without a count: ${prompts}`);
  const errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
  if ((await errors.count()) > 0) {
    throw new Error(`a cell shows an error: ${(await errors.first().innerText()).slice(0, 500)}`);
  }
  // JupyterLab draws an image/svg+xml output as an <img> inside a .jp-RenderedSVG node.
  const charts = page.locator(".jp-RenderedSVG img, .jp-OutputArea-output svg");
  const drawn = await charts.evaluateAll((els) =>
    els.filter((el) => (el.naturalWidth ?? el.getBoundingClientRect().width) > 0).length);
  if (drawn < 1) {
    const kinds = await page.locator(".jp-OutputArea-output").evaluateAll((els) =>
      [...new Set(els.map((el) => `${el.className} [${el.dataset.mimeType}]`))]);
    throw new Error(`no SVG chart was rendered; outputs seen: ${kinds.join("; ")}`);
  }
  await charts.first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, "02-a-chart.png") });
  log(`${count} cells ran (counts ${Math.min(...numbers)}–${Math.max(...numbers)}), no errors, ${drawn} SVG charts drawn`);

  // Change a parameter and re-run that cell only.
  // Found by its text, then held by position: once edited, its text no longer matches.
  const texts = await codeCells.allTextContents();
  const at = texts.findIndex((t) => t.replace(/\s+/g, " ").includes("let parallel_share = 0.15 + 0.05;"));
  if (at < 0) {
    const near = texts.find((t) => t.includes("parallel_share")) ?? "(none)";
    throw new Error(`the cell to edit was not found; nearest: ${JSON.stringify(near.slice(0, 200))}`);
  }
  const cell = codeCells.nth(at);
  const output = cell.locator(".jp-OutputArea-output");
  const before = (await output.innerText()).trim();
  const source = (await cell.locator(".cm-content").innerText()).replace("0.15 + 0.05", "0.15 + 0.35");
  await cell.locator(".cm-content").click();
  await page.keyboard.press("Control+a");
  await page.keyboard.insertText(source);
  await page.keyboard.press("Shift+Enter");
  await output.filter({ hasText: "50%" }).waitFor({ timeout: 120_000 });
  const after = (await output.innerText()).trim();
  if (after === before) throw new Error(`the output did not change: ${after}`);
  log(`edited cell re-ran: "${before}" → "${after}"`);
  await cell.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, "03-after-edit.png") });
  log(`browser test passed in ${seconds(started)} s; screenshots in ${artifacts}`);
} catch (e) {
  failed = true;
  console.error(`browser test FAILED: ${e.message}`);
  await page.screenshot({ path: join(artifacts, "failure.png"), fullPage: true }).catch(() => {});
} finally {
  await context.close();
}
process.exit(failed ? 1 : 0);
