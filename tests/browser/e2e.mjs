// Drives the course's JupyterLab (already running, started through scripts/lab.sh, so its root
// is notebooks/; see scripts/browser-test.sh) in headless Chromium, checking what a reader sees.
//   1. Every committed chapter (notebooks/NN-*.ipynb, two digits), opened and not run: every chart the
//      file holds (each output with image/svg+xml, counted from the .ipynb's JSON) is drawn as
//      an image, not shown as its "[chart] <title>" text (JupyterLab draws SVG only from trusted
//      outputs; scripts/setup.sh trusts the course's notebooks). Each chapter's kernel is shut
//      down again straight away; no cell runs.
//   2. Chapter 01, every cell run through the real Rust kernel: the kernel is "Rust", no cell
//      shows an error, the charts are drawn as SVG. Then it edits a parameter in one cell,
//      re-runs that cell, and checks that its output changed.
// OPEN_ONLY=1 does step 1 alone. Screenshots go to ARTIFACTS. Chromium is always closed.
import { chromium } from "playwright-core";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const url = process.env.LAB_URL;             // http://127.0.0.1:PORT
const token = process.env.LAB_TOKEN;
const artifacts = process.env.ARTIFACTS;
const userDataDir = process.env.CHROME_PROFILE;
const notebooksDir = process.env.NOTEBOOKS_DIR;   // the server's root: the repository's notebooks/
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const openOnly = process.env.OPEN_ONLY === "1";
const NOTEBOOK = "01-why-async.ipynb";
const RUN_ALL_LIMIT_MS = 15 * 60 * 1000;
const DRAW_LIMIT_MS = 60_000;
if (!url || !token || !artifacts || !userDataDir || !notebooksDir) {
  throw new Error("LAB_URL, LAB_TOKEN, ARTIFACTS, CHROME_PROFILE and NOTEBOOKS_DIR must be set");
}
mkdirSync(artifacts, { recursive: true });

const log = (...args) => console.log("   ", ...args);
const seconds = (start) => ((Date.now() - start) / 1000).toFixed(1);

// What a chapter's file holds: its cells, and the outputs that carry an SVG chart.
function chapterOnDisk(name) {
  const nb = JSON.parse(readFileSync(join(notebooksDir, name), "utf8"));
  const charts = nb.cells.flatMap((c) => c.outputs ?? [])
    .filter((o) => o.data && "image/svg+xml" in o.data).length;
  return { cells: nb.cells.length, charts };
}

// Shuts down every kernel session of the server (opening a chapter starts its kernel).
async function shutDownSessions() {
  const headers = { Authorization: `token ${token}` };
  const sessions = await (await fetch(`${url}/api/sessions`, { headers })).json();
  for (const s of sessions) await fetch(`${url}/api/sessions/${s.id}`, { method: "DELETE", headers });
  return sessions.length;
}

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
// 1. Every chapter as it opens, unexecuted.
async function openEveryChapter() {
  const chapters = readdirSync(notebooksDir).filter((f) => /^[0-9][0-9]-.*\.ipynb$/.test(f)).sort();
  if (chapters.length === 0) throw new Error(`no chapters (NN-*.ipynb) in ${notebooksDir}`);
  const openStarted = Date.now();
  const drawnPer = [];
  for (const name of chapters) {
    const want = chapterOnDisk(name);
    const t = Date.now();
    // A workspace of its own per chapter, so no other notebook is open beside it.
    await page.goto(`${url}/lab/workspaces/open-${name.slice(0, 2)}/tree/${name}?token=${token}`);
    const panel = page.locator(".jp-NotebookPanel");
    await panel.first().waitFor({ timeout: 120_000 });
    if ((await panel.count()) !== 1) throw new Error(`${name}: ${await panel.count()} notebooks open, expected 1`);
    // Windowing is off (browser-test.sh's settings): every cell is put in the page, so none of
    // the charts can be hidden from the count by virtual scrolling. Cells and images arrive over
    // a moment: wait until both counts reach the file's (or the time limit).
    const cellsNow = () => page.locator(".jp-Notebook .jp-Cell").count();
    const drawnNow = () => page.locator(".jp-RenderedSVG img").evaluateAll((els) =>
      els.filter((el) => el.complete && el.naturalWidth > 0).length);
    let cellsInPage = await cellsNow();
    let drawn = await drawnNow();
    while ((cellsInPage < want.cells || drawn < want.charts) && Date.now() - t < DRAW_LIMIT_MS) {
      await page.waitForTimeout(250);
      [cellsInPage, drawn] = [await cellsNow(), await drawnNow()];
    }
    await page.waitForTimeout(500);          // and no more than that arrives
    [cellsInPage, drawn] = [await cellsNow(), await drawnNow()];
    const asText = await page.locator(".jp-OutputArea-output", { hasText: /^\[chart\] / }).count();
    await page.screenshot({ path: join(artifacts, `00-opened-${name.slice(0, 2)}.png`) });
    // Leave the page before stopping its kernel, so no connection to it is left half-open.
    await page.goto("about:blank");
    const stopped = await shutDownSessions();
    if (cellsInPage !== want.cells) {
      throw new Error(`${name}: ${cellsInPage} cells in the page, ${want.cells} in the file (is windowing on?)`);
    }
    if (drawn !== want.charts) {
      throw new Error(`${name}: ${drawn} charts drawn on opening, but the file holds ${want.charts}` +
        (asText ? ` (${asText} shown as "[chart] …" text: is the notebook trusted? run scripts/setup.sh)` : ""));
    }
    drawnPer.push(`${name.slice(0, 2)}: ${drawn}`);
    log(`${name} opened: ${drawn} of ${want.charts} charts drawn, ${cellsInPage} cells, no cell run (${seconds(t)} s; kernels stopped: ${stopped})`);
  }
  // None of those kernels may be left running beside chapter 01's run (or after the test).
  const headers = { Authorization: `token ${token}` };
  let kernels = [];
  for (const until = Date.now() + 15_000; Date.now() < until; await page.waitForTimeout(500)) {
    kernels = await (await fetch(`${url}/api/kernels`, { headers })).json();
    if (kernels.length === 0) break;
  }
  if (kernels.length > 0) throw new Error(`${kernels.length} kernels still running after the chapters were closed`);
  log(`every chapter shows its charts on opening (${drawnPer.join(", ")}; ${seconds(openStarted)} s); no kernel left running`);
}

// 2. Chapter 01, run from the Run menu.
async function runChapter01() {
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
}

try {
  await openEveryChapter();
  if (openOnly) log("OPEN_ONLY=1: chapter 01 not run");
  else await runChapter01();
} catch (e) {
  failed = true;
  console.error(`browser test FAILED: ${e.message}`);
  await page.screenshot({ path: join(artifacts, "failure.png"), fullPage: true }).catch(() => {});
} finally {
  await context.close();
}
process.exit(failed ? 1 : 0);
