// Validates docs/asyncapi.json with the official AsyncAPI parser
// (@asyncapi/parser, installed by scripts/lib/infra.sh's ensure_asyncapi):
// fails on any error diagnostic, and reports the warnings and hints that
// remain.
const fs = require("fs");
const { Parser, DiagnosticSeverity } = require("@asyncapi/parser");

async function main() {
  const path = process.argv[2] || "docs/asyncapi.json";
  const { document, diagnostics } = await new Parser().parse(fs.readFileSync(path, "utf8"));
  const by = (s) => diagnostics.filter((d) => d.severity === s);
  for (const d of diagnostics) {
    const where = d.path && d.path.length ? d.path.join(".") : "(document)";
    console.error(`${["error", "warning", "information", "hint"][d.severity]} ${d.code}: ${d.message} at ${where}`);
  }
  const errors = by(DiagnosticSeverity.Error).length;
  console.error(
    `${path}: ${errors} errors, ${by(DiagnosticSeverity.Warning).length} warnings, ` +
      `${by(DiagnosticSeverity.Information).length + by(DiagnosticSeverity.Hint).length} hints` +
      (document ? `; ${document.channels().length} channels, ${document.messages().length} messages` : ""),
  );
  process.exit(errors === 0 && document ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
