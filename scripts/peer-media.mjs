// Pictures between Communs and Fedify, for scripts/interop-peer. Copied into the conformance
// peer's folder, so that Fedify's own vocabulary reads what alice sent:
//
//   node media.mjs verify --report report.json --alt "…"
//     (after the peer's run) finds the Update{Note} of alice's project that carries an image
//     (scripts/peer-publish.sh adds one), reads it with Fedify (Activity.fromJsonLd, then
//     the Note's attachments), and checks that the image is an Image with its media type,
//     its alt text in `name` and its size, and that its URL serves that picture.
//
// Prints PASS/FAIL lines; exits 1 when a check failed.
import "./lib/runtime.mjs";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Activity, Image, Note } from "@fedify/fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";

const { values: opt, positionals: [mode] } = parseArgs({
  allowPositionals: true,
  options: { report: { type: "string" }, alt: { type: "string" } },
});
const loader = getDocumentLoader({ allowPrivateAddress: true });
const loaders = { documentLoader: loader, contextLoader: loader };
let failed = 0;

function check(name, ok, detail = "") {
  if (!ok) failed++;
  console.error(`${ok ? "PASS" : "FAIL"} media: ${name}${ok ? "" : ` ${detail}`.slice(0, 400)}`);
}

async function verify() {
  const report = JSON.parse(readFileSync(opt.report, "utf8"));
  const received = report.received.filter((d) =>
    d.type === "Update" && d.raw?.object?.objectType === "Project" && d.raw.object.attachment);
  check("project_with_images_received", received.length > 0);
  if (!received.length) return;
  const delivery = received.at(-1);
  check("processed_by_fedify", delivery.processedByFedify === true);
  const activity = await Activity.fromJsonLd(delivery.raw, loaders);
  const note = await activity.getObject(loaders);
  check("object_is_a_note", note instanceof Note, String(note?.constructor?.name));
  const images = [];
  for await (const attachment of note.getAttachments(loaders)) images.push(attachment);
  check("attachments_are_images", images.length > 0 && images.every((i) => i instanceof Image),
    images.map((i) => i?.constructor?.name).join(","));
  const image = images.find((i) => i.name?.toString() === opt.alt);
  check("alt_text_in_name", image != null, images.map((i) => i.name?.toString()).join(" | "));
  if (!image) return;
  check("media_type", /^image\/(jpeg|png)$/.test(image.mediaType ?? ""), image.mediaType);
  check("size", image.width > 0 && image.height > 0, `${image.width}×${image.height}`);
  const url = image.url?.href;
  const response = await fetch(url);
  const type = response.headers.get("content-type");
  check("url_serves_the_picture", response.ok && type === image.mediaType, `${response.status} ${type}`);
  check("served_for_a_year", /immutable/.test(response.headers.get("cache-control") ?? ""));
}

try {
  if (mode === "verify") await verify();
  else throw new Error("usage: node media.mjs verify --report FILE --alt TEXT");
} catch (error) {
  check("harness", false, String(error?.stack ?? error));
}
process.exit(failed ? 1 : 0);
