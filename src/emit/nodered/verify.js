// wireplan: the webhook check. Fixed code, the same in every flow file: no
// name from the spec reaches it. The node before it puts the scheme into
// msg._wp.auth (the names of environment variables and headers, all
// checked by wireplan to be plain identifiers): a bearer token, or an HMAC
// of the raw body, or a vendor's scheme from the connector catalog: what is
// signed (`signed`, pieces in order), a `t=...,v1=...` header (`pairs`), a
// signed timestamp that must be recent (`tolerance`, seconds), the public URL
// (`url_env`), a form body (`form`), a public-key signature (`public_key`: the
// variable holds the vendor's public key, base64 DER or PEM).
const auth = msg._wp && msg._wp.auth;
delete msg._wp;
const crypto = global.get("crypto");
const headers = (msg.req && msg.req.headers) || {};
const raw = Buffer.isBuffer(msg.payload)
    ? msg.payload
    : Buffer.from(typeof msg.payload === "string" ? msg.payload : "", "utf8");

// Compares digests, so the time taken says nothing about the secret.
function same(a, b) {
    const x = crypto.createHash("sha256").update(String(a)).digest();
    const y = crypto.createHash("sha256").update(String(b)).digest();
    return crypto.timingSafeEqual(x, y);
}

function reject(status, error) {
    msg.statusCode = status;
    msg.payload = { error: error };
    return [null, msg];
}

// A signed timestamp in milliseconds: seconds or milliseconds since 1970
// as digits, or an ISO 8601 date.
function millis(text) {
    if (typeof text !== "string" || text.length === 0) {
        return NaN;
    }
    if (/^[0-9]+$/.test(text)) {
        const n = Number(text);
        return n > 1e11 ? n : n * 1000;
    }
    return Date.parse(text);
}

// The form parameters sorted by name, each name followed by its value.
function formText(params) {
    const names = Array.from(new Set(params.keys())).sort();
    return names.map((name) => params.getAll(name).sort().map((value) => name + value).join("")).join("");
}

// The signatures a vendor's header carries, with the timestamp it signed.
function read(given) {
    if (!auth.pairs) {
        return { signatures: [given], timestamp: headers[auth.timestamp_header] };
    }
    const found = { signatures: [], timestamp: undefined };
    for (const pair of given.split(",")) {
        const at = pair.indexOf("=");
        const key = pair.slice(0, at).trim();
        const value = pair.slice(at + 1).trim();
        if (at > 0 && key === auth.pairs.timestamp) {
            found.timestamp = value;
        } else if (at > 0 && key === auth.pairs.signature) {
            found.signatures.push(value);
        }
    }
    return found;
}

// The vendor's public key, or null when the variable holds none.
function publicKey(text) {
    try {
        return text.includes("BEGIN")
            ? crypto.createPublicKey(text)
            : crypto.createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" });
    } catch (e) {
        return null;
    }
}

// Signatures seen lately, so that a captured delivery is not taken twice
// while its timestamp is still recent (kept in memory, pruned as it goes).
function replayed(signature, now) {
    const seen = global.get("wireplan_seen");
    if (!seen) {
        return false;
    }
    for (const [key, until] of seen) {
        if (until > now) {
            break;
        }
        seen.delete(key);
    }
    if (seen.has(signature)) {
        return true;
    }
    seen.set(signature, now + 2 * auth.tolerance * 1000);
    return false;
}

let ok = false;
let stale = false;
if (auth && auth.scheme === "bearer") {
    const token = env.get(auth.secret_env);
    ok = typeof token === "string" && token.length > 0 && same(headers["authorization"] || "", "Bearer " + token);
} else if (auth && auth.scheme === "hmac") {
    const secret = env.get(auth.secret_env);
    const given = headers[auth.header];
    if (typeof secret === "string" && secret.length > 0 && typeof given === "string") {
        const { signatures, timestamp } = read(given);
        const now = Date.now();
        if (auth.tolerance !== undefined && !(Math.abs(now - millis(timestamp)) <= auth.tolerance * 1000)) {
            stale = true;
        } else {
            const url = ((auth.url_env && env.get(auth.url_env)) || "").replace(/\/+$/, "") + ((msg.req && msg.req.originalUrl) || "");
            const pieces = (auth.signed || [["body"]]).map((part) => {
                switch (part[0]) {
                    case "text": return Buffer.from(part[1], "utf8");
                    case "body": return raw;
                    case "timestamp": return Buffer.from(timestamp || "", "utf8");
                    case "url": return Buffer.from(url, "utf8");
                    case "method": return Buffer.from((msg.req && msg.req.method) || "POST", "utf8");
                    case "header": return Buffer.from(String(headers[part[1]] || ""), "utf8");
                    case "form": return Buffer.from(formText(new URLSearchParams(raw.toString("utf8"))), "utf8");
                    default: return null;
                }
            });
            if (!pieces.includes(null) && auth.public_key) {
                const key = publicKey(secret);
                const prefix = auth.prefix || "";
                ok = key !== null && signatures.some((signature) => signature.startsWith(prefix)
                    && crypto.verify(auth.algorithm, Buffer.concat(pieces), key,
                        Buffer.from(signature.slice(prefix.length), auth.encoding)));
            } else if (!pieces.includes(null)) {
                const digest = crypto.createHmac(auth.algorithm, secret).update(Buffer.concat(pieces)).digest(auth.encoding);
                // Every candidate is compared (a rotated secret gives two).
                let match = false;
                for (const signature of signatures) {
                    match = same(signature, (auth.prefix || "") + digest) || match;
                }
                ok = match && !(auth.tolerance !== undefined && replayed(auth.secret_env + " " + given, now));
            }
        }
    }
}
if (!ok) {
    return reject(401, stale ? "the signed timestamp is too old" : "unauthorized");
}
if (auth.form) {
    const params = new URLSearchParams(raw.toString("utf8"));
    msg.payload = Object.fromEntries(params);
    return [msg, null];
}
try {
    msg.payload = JSON.parse(raw.toString("utf8"));
} catch (e) {
    return reject(400, "the body is not JSON");
}
return [msg, null];
