// Object Integrity Proofs (FEP-8b32) between Communs and Fedify, for scripts/interop-peer.
// Copied into the conformance peer's folder, so that Fedify's own code does every check:
//
//   node proofs.mjs send --target URL --call URI
//     (while the peer runs) as the peer's actor `tester`: POSTs an Offer{Pledge} to the call
//     (alice answers with a signed Accept), then a Like carrying Fedify's own proof, which
//     must be taken (202), and the same Like tampered after signing, which must be refused
//     (401). The HTTP signatures are valid: only the proof differs.
//   node proofs.mjs verify --report report.json --target URL --call-id ID
//     (after the peer's run) checks with Fedify's verifyObject/verifyProof every proof the
//     peer received (Create/Update of the call, Accept of the Offer) and the proofs of the
//     Pledges alice serves; each one tampered must fail.
//
// Prints PASS/FAIL lines; exits 1 when a check failed.
import "./lib/runtime.mjs";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { importJwk, signObject, signRequest, verifyObject, verifyProof } from "@fedify/fedify";
import { Activity, Like, Object as APObject } from "@fedify/fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";

const { values: opt, positionals: [mode] } = parseArgs({
  allowPositionals: true,
  options: {
    target: { type: "string" },
    call: { type: "string" },
    "call-id": { type: "string" },
    report: { type: "string" },
    keys: { type: "string", default: new URL("./.tester-keys.json", import.meta.url).pathname },
    peer: { type: "string", default: "http://127.0.0.1:9100/users/tester" },
  },
});
const loader = getDocumentLoader({ allowPrivateAddress: true });
const loaders = { documentLoader: loader, contextLoader: loader };
const AS2 = "application/activity+json";
let failed = 0;

function check(name, ok, detail = "") {
  if (!ok) failed++;
  console.error(`${ok ? "PASS" : "FAIL"} proofs: ${name}${ok ? "" : ` ${detail}`.slice(0, 400)}`);
}

/** Returns a deep copy of `json` with one figure changed, as a forger would. */
function tampered(json) {
  const copy = structuredClone(json);
  const target = copy.object?.object ?? copy.object ?? copy;
  if (target.amount) target.amount.value = "999999.00";
  else if (target.raised) target.raised.value = "999999.00";
  else copy.tampered = true;
  return copy;
}

async function testerKeys() {
  const [rsa, ed] = JSON.parse(readFileSync(opt.keys, "utf8"));
  const actor = (await loader(opt.peer)).document;
  const multikey = [actor.assertionMethod].flat().find((k) => k?.publicKeyMultibase?.startsWith("z6Mk"));
  return {
    rsa: { privateKey: await importJwk(rsa.privateKey, "private"), keyId: new URL(actor.publicKey.id) },
    ed: { privateKey: await importJwk(ed.privateKey, "private"), keyId: new URL(multikey.id) },
  };
}

async function post(inbox, body, rsa) {
  const request = new Request(inbox, {
    method: "POST", headers: { "Content-Type": AS2, Accept: AS2 }, body,
  });
  const response = await fetch(await signRequest(request, rsa.privateKey, rsa.keyId));
  return { status: response.status, text: (await response.text()).slice(0, 300) };
}

async function send() {
  const keys = await testerKeys();
  const target = (await loader(`${opt.target}/actors/alice`)).document;
  const id = crypto.randomUUID();
  const offer = {
    "@context": ["https://www.w3.org/ns/activitystreams", {
      communs: "https://w3id.org/communs/ns#", schema: "http://schema.org#",
      objectType: "communs:objectType", sector: "communs:sector", amount: "schema:amount",
      value: "schema:value", currency: "schema:currency",
      fundingCall: { "@id": "communs:fundingCall", "@type": "@id" },
    }],
    id: `${new URL(opt.peer).origin}/offers/${id}`,
    type: "Offer",
    actor: opt.peer,
    to: [target.id],
    target: opt.call,
    object: {
      id: `${new URL(opt.peer).origin}/pledges/${id}`,
      type: "Object",
      objectType: "Pledge",
      attributedTo: opt.peer,
      fundingCall: opt.call,
      amount: { type: "MonetaryAmount", value: "25.00", currency: "EUR" },
      sector: "individual",
    },
  };
  const offered = await post(target.inbox, JSON.stringify(offer), keys.rsa);
  check("offer_taken", offered.status === 202, JSON.stringify(offered));

  const like = async () => {
    const activity = new Like({
      id: new URL(`${new URL(opt.peer).origin}/likes/${crypto.randomUUID()}`),
      actor: new URL(opt.peer), object: new URL(opt.call), to: new URL(target.id),
    });
    const signed = await signObject(activity, keys.ed.privateKey, keys.ed.keyId, loaders);
    return await signed.toJsonLd({ format: "compact", ...loaders });
  };
  const genuine = await like();
  const taken = await post(target.inbox, JSON.stringify(genuine), keys.rsa);
  check("fedify_proof_accepted", taken.status === 202 && genuine.proof != null, JSON.stringify(taken));
  const forged = await like();
  forged.object = `${opt.call}-forged`;
  const refused = await post(target.inbox, JSON.stringify(forged), keys.rsa);
  check("tampered_fedify_proof_refused", refused.status === 401 && refused.text.includes("proof"),
    JSON.stringify(refused));
}

async function verifyActivity(raw) {
  const name = `${raw.type}(${raw.object?.type ?? "?"}) ${raw.id}`;
  const verified = await verifyObject(Activity, raw, loaders).catch((e) => String(e));
  check(`fedify_verifies ${name}`, verified instanceof Activity, String(verified));
  const forged = await verifyObject(Activity, tampered(raw), loaders).catch(() => null);
  check(`fedify_refuses_tampered ${name}`, forged === null);
}

async function verifyPledge(url, owner) {
  const response = await fetch(url, { headers: { Accept: AS2 } });
  const json = await response.json();
  const object = await APObject.fromJsonLd(json, loaders);
  const controllers = [];
  for await (const proof of object.getProofs(loaders)) {
    const key = await verifyProof(json, proof, loaders);
    controllers.push(key?.controllerId?.href ?? null);
    const forged = await verifyProof(tampered(json), proof, loaders);
    check(`fedify_refuses_tampered pledge ${url}`, forged === null);
  }
  check(`fedify_verifies pledge ${url}`, controllers.length > 0 && !controllers.includes(null) &&
    controllers.includes(owner), JSON.stringify(controllers));
}

async function verify() {
  const report = JSON.parse(readFileSync(opt.report, "utf8"));
  const receipts = report.received.map((d) => d.raw).filter((raw) =>
    (["Create", "Update"].includes(raw?.type) && raw.object?.objectType === "FundingCall") ||
    (raw?.type === "Accept" && raw.object?.type === "Offer"));
  check("receipts_received", receipts.some((r) => r.type === "Create") &&
    receipts.some((r) => r.type === "Update") && receipts.some((r) => r.type === "Accept"),
  JSON.stringify(receipts.map((r) => r.type)));
  for (const raw of receipts) await verifyActivity(raw);
  const owner = `${opt.target}/actors/alice`;
  const listed = await (await fetch(`${opt.target}/api/v1/funding-calls/${opt["call-id"]}/pledges`)).json();
  check("pledges_listed", listed.items?.length >= 2, JSON.stringify(listed).slice(0, 200));
  for (const pledge of listed.items ?? []) await verifyPledge(`${opt.target}/pledges/${pledge.id}`, owner);
}

try {
  if (mode === "send") await send();
  else if (mode === "verify") await verify();
  else throw new Error("usage: node proofs.mjs send|verify …");
} catch (error) {
  check("harness", false, String(error?.stack ?? error));
}
process.exit(failed ? 1 : 0);
