// wireplan: a target's credentials and where its idempotency key goes.
// Fixed code, the same in every flow file: no name from the spec reaches
// it. The target's node put the description into msg._wp: `outbound` (Basic,
// an API-key header, or OAuth2 with the names of the variables that hold the
// token endpoint and the client's credentials) and `key_place` (a header of
// the vendor's, a body field, or none). It runs before every attempt; after
// a failed one (msg._wp.sent), an OAuth2 target's 401 fetches a new token and
// tries once more at once, anything else goes on to the retry rules (the
// second output).
const wp = msg._wp;
const out = wp.outbound;

function fail(error) {
    wp.sent = false;
    msg.error = { message: error };
    return [null, msg];
}

// OAuth2 tokens by endpoint and client, kept in memory (never on disk),
// each until shortly before it expires.
async function token(force) {
    const tokens = global.get("wireplan_tokens");
    const fetch = global.get("fetch");
    const key = out.token_url_env + " " + out.client_id_env;
    const cached = tokens.get(key);
    if (!force && cached && cached.until > Date.now()) {
        return cached.access;
    }
    const body = new URLSearchParams();
    body.set("grant_type", out.grant);
    if (out.grant === "refresh_token") {
        // A vendor that rotates refresh tokens sends a new one with each.
        body.set("refresh_token", (cached && cached.refresh) || env.get(out.refresh_token_env) || "");
    }
    if (out.scope) {
        body.set("scope", out.scope);
    }
    const client = (env.get(out.client_id_env) || "") + ":" + (env.get(out.client_secret_env) || "");
    // At most 30 s, as the request node's own timeout (settings.js).
    let timer;
    const late = new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error("the token endpoint did not answer within 30 s")), 30000);
    });
    const response = await Promise.race([late, fetch(env.get(out.token_url_env), {
        method: "POST",
        headers: {
            "Content-Type": "application/x-www-form-urlencoded",
            Accept: "application/json",
            Authorization: "Basic " + Buffer.from(client, "utf8").toString("base64"),
        },
        body: body.toString(),
    })]).finally(() => clearTimeout(timer));
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || typeof answer.access_token !== "string") {
        throw new Error("the token endpoint answered " + response.status);
    }
    const lifetime = Number(answer.expires_in) > 0 ? Number(answer.expires_in) * 1000 : 3600000;
    tokens.set(key, {
        access: answer.access_token,
        refresh: answer.refresh_token || (cached && cached.refresh),
        until: Date.now() + lifetime - Math.min(60000, lifetime / 10),
    });
    return answer.access_token;
}

let retry = false;
if (wp.sent && typeof msg.statusCode === "number") {
    wp.sent = false;
    if (!(out && out.kind === "oauth2" && msg.statusCode === 401 && !wp.reauthorized)) {
        return [null, msg];
    }
    wp.reauthorized = true;
    retry = true;
}
// The poll's request has its headers in msg.headers; a write's in msg._wp.
const headers = wp.headers !== undefined ? wp.headers : msg.headers || {};
const place = wp.key_place;
if (place && wp.key_value !== undefined && wp.headers !== undefined) {
    delete headers["Idempotency-Key"];
    if (place.header) {
        headers[place.header] = wp.key_value;
    } else if (place.field && wp.body !== null && typeof wp.body === "object" && !Array.isArray(wp.body)) {
        wp.body = Object.assign({}, wp.body, { [place.field]: wp.key_value });
    }
}
if (out && out.kind === "basic") {
    const pair = (env.get(out.user_env) || "") + ":" + (env.get(out.password_env) || "");
    headers["Authorization"] = "Basic " + Buffer.from(pair, "utf8").toString("base64");
} else if (out && out.kind === "api-key") {
    headers[out.header] = env.get(out.key_env) || "";
} else if (out && out.kind === "oauth2") {
    try {
        headers["Authorization"] = "Bearer " + (await token(retry));
    } catch (e) {
        return fail("OAuth2: " + e.message);
    }
}
if (wp.headers !== undefined) {
    wp.headers = headers;
} else {
    msg.headers = headers;
}
wp.sent = true;
return [msg, null];
