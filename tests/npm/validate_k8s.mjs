// validate_k8s.mjs FILE... — validate Kubernetes manifests (YAML, several
// documents per file) against the Kubernetes OpenAPI schema with the
// kubernetes-models package: each document's apiVersion/kind picks its
// model class, whose validate() throws on what the API server would refuse
// (a string containerPort, a missing selector...). An unknown kind fails.
import fs from "node:fs";
import yaml from "js-yaml";

const files = process.argv.slice(2);
if (!files.length) {
  console.error("usage: validate_k8s.mjs FILE...");
  process.exit(2);
}
const groups = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "policy/v1": "kubernetes-models/policy/v1",
};
let bad = 0, n = 0;
for (const f of files) {
  for (const doc of yaml.loadAll(fs.readFileSync(f, "utf8"))) {
    if (doc == null) continue;
    n++;
    const where = `${f}: ${doc.kind}/${doc.metadata?.name}`;
    try {
      const mod = groups[doc.apiVersion];
      if (!mod) throw new Error(`apiVersion ${doc.apiVersion} is not one this check knows`);
      const Model = (await import(mod))[doc.kind];
      if (!Model) throw new Error(`kind ${doc.kind} is not in ${doc.apiVersion}`);
      new Model(doc).validate();
      console.log(`ok ${where}`);
    } catch (e) {
      console.log(`INVALID ${where}: ${e.message}`);
      bad++;
    }
  }
}
console.log(`${n} object(s), ${bad} invalid`);
process.exit(bad || !n ? 1 : 0);
