// wireplan: the webhook check. Fixed code, the same in every flow file: no
// name from the spec reaches it. The node before it puts the scheme into
// msg._wp.auth (the names of environment variables and a header, all
// checked by wireplan to be plain identifiers).
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

let ok = false;
if (auth && auth.scheme === "bearer") {
    const token = env.get(auth.secret_env);
    ok = typeof token === "string" && token.length > 0 && same(headers["authorization"] || "", "Bearer " + token);
} else if (auth && auth.scheme === "hmac") {
    const secret = env.get(auth.secret_env);
    const given = headers[auth.header];
    if (typeof secret === "string" && secret.length > 0 && typeof given === "string") {
        const digest = crypto.createHmac(auth.algorithm, secret).update(raw).digest(auth.encoding);
        ok = same(given, (auth.prefix || "") + digest);
    }
}
if (!ok) {
    return reject(401, "unauthorized");
}
try {
    msg.payload = JSON.parse(raw.toString("utf8"));
} catch (e) {
    return reject(400, "the body is not JSON");
}
return [msg, null];
