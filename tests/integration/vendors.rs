//! The vendors' own code against the hub's checks, in a real Node-RED 4.1:
//! webhooks signed by Stripe's library (`stripe`'s
//! `webhooks.generateTestHeaderString`), GitHub's (`@octokit/webhooks-methods`'s
//! `sign`), Twilio's (`twilio`'s `getExpectedTwilioSignature`) and HubSpot's
//! (`@hubspot/api-client`'s `Signature.getSignature`, v3); Slack's, Square's
//! and SendGrid's (ECDSA) signing as documented and checked by their SDKs
//! (`@slack/bolt`'s `verifySlackRequest`, `square`'s `WebhooksHelper`,
//! `@sendgrid/eventwebhook`), and Shopify's as documented, sent to a hub
//! built with `connector=` only, and a spec's own `webhook-signature
//! "hmac-md5"` (Patreon's scheme) and `"hmac-sha512"` (Paystack's): each is accepted (202), and a tampered
//! body, a wrong secret and an expired or replayed timestamp get 401. On the
//! way out, a real OAuth2 server (`oauth2-mock-server`, issuing tokens that
//! live six seconds) hands out the token the target sees, and the hub fetches
//! a new one once it expires; Basic credentials and Square's idempotency key
//! in the body reach the recorder.
//!
//! The npm packages are installed into `.tools/` by `scripts/test.sh`
//! (`WIREPLAN_VENDOR_MODULES` names another `node_modules` folder).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::hub::{NodeRed, Recorded, Recorder, free_port, http, node_red_js};
use crate::util::{TempSpec, code, root, stderr};

const SPEC: &str = r#"
stack "vendors"

system "payments" kind=payments connector=stripe
system "code" kind=custom connector=github
system "chat" kind=custom connector=slack
system "shop" kind=ecommerce connector=shopify
system "phone" kind=custom connector=twilio
system "books" kind=accounting connector=quickbooks-online {
    auth oauth2-refresh-token scope="com.intuit.quickbooks.accounting"
}
system "shipping" kind=custom connector=shipstation {
    auth basic
}
system "mail" kind=email connector=sendgrid
system "marketing" kind=crm connector=hubspot
system "desk" kind=support {
    secret "DESK_KEY"
    auth api-key header="X-Api-Key"
}
system "crm" kind=crm {
    auth oauth2-client-credentials client-id="CRM_ID" client-secret="CRM_SECRET"
}
system "pos" kind=payments connector=square {
    secret "POS_TOKEN"
}
// A vendor the catalog does not know, signing as Patreon does: a hex
// HMAC-MD5 of the raw body.
system "members" kind=payments {
    webhooks #true
    webhook-signature "hmac-md5" header="X-Patreon-Signature" secret="MEMBERS_SIGNING_SECRET"
}
// Another, signing as Paystack does: a hex HMAC-SHA512 of the raw body.
system "gateway" kind=payments {
    webhooks #true
    webhook-signature "hmac-sha512" header="X-Paystack-Signature" secret="GATEWAY_SIGNING_SECRET"
}

event "payment.paid" from="payments"
event "code.pushed" from="code"
event "chat.message" from="chat"
event "order.created" from="shop"
event "sms.received" from="phone"
event "mail.delivered" from="mail"
event "contact.created" from="marketing"
event "pos.paid" from="pos"
event "pledge.created" from="members"
event "charge.success" from="gateway"

flow "payments-to-books" {
    on "payment.paid"
    to "books" action=create {
        request method="POST" path="/invoice"
    }
}
flow "pushes-to-shipping" {
    on "code.pushed"
    to "shipping" action=create {
        request method="POST" path="/orders"
    }
}
flow "messages-to-pos" {
    on "chat.message"
    to "pos" action=create {
        request method="POST" path="/payments"
        idempotency-key "id"
    }
}
flow "orders-to-shipping" {
    on "order.created"
    to "shipping" action=create {
        request method="POST" path="/shop-orders"
    }
}
flow "orders-to-crm" {
    on "order.created"
    to "crm" action=create {
        request method="POST" path="/contacts"
    }
}
flow "mail-to-shipping" {
    on "mail.delivered"
    to "shipping" action=create {
        request method="POST" path="/mail"
    }
}
flow "contacts-to-shipping" {
    on "contact.created"
    to "shipping" action=create {
        request method="POST" path="/contacts"
    }
}
flow "pos-to-shipping" {
    on "pos.paid"
    to "shipping" action=create {
        request method="POST" path="/pos"
    }
    to "desk" action=create {
        request method="POST" path="/tickets"
    }
}
flow "shipments" {
    poll "shipping" entity="shipment" every="1h" path="/shipments"
    to "pos" action=create {
        request method="POST" path="/shipments"
    }
}
flow "pledges-to-shipping" {
    on "pledge.created"
    to "shipping" action=create {
        request method="POST" path="/pledges"
    }
}
flow "charges-to-shipping" {
    on "charge.success"
    to "shipping" action=create {
        request method="POST" path="/charges"
    }
}
flow "sms-to-shipping" {
    on "sms.received"
    to "shipping" action=create {
        request method="POST" path="/sms"
    }
}
"#;

/// Signs a webhook as each vendor's library does; prints the headers as JSON.
const SIGN_JS: &str = r#"
const crypto = require("crypto");
const path = require("path");
const url = require("url");
(async () => {
    const r = JSON.parse(process.argv[2]);
    const headers = {};
    if (r.vendor === "stripe") {
        const stripe = require("stripe")("sk_test_unused");
        headers["Stripe-Signature"] = stripe.webhooks.generateTestHeaderString({
            payload: r.body, secret: r.secret, timestamp: r.timestamp,
        });
    } else if (r.vendor === "github") {
        const file = path.join(process.env.NODE_PATH, "@octokit/webhooks-methods/dist-node/index.js");
        const { sign } = await import(url.pathToFileURL(file));
        headers["X-Hub-Signature-256"] = await sign(r.secret, r.body);
    } else if (r.vendor === "slack") {
        // As Slack's documentation signs; its SDK must agree when fresh.
        const base = "v0:" + r.timestamp + ":" + r.body;
        headers["X-Slack-Signature"] = "v0=" + crypto.createHmac("sha256", r.secret).update(base).digest("hex");
        headers["X-Slack-Request-Timestamp"] = String(r.timestamp);
        if (r.check) {
            const { verifySlackRequest } = require("@slack/bolt");
            verifySlackRequest({
                signingSecret: r.secret, body: r.body,
                headers: {
                    "x-slack-signature": headers["X-Slack-Signature"],
                    "x-slack-request-timestamp": Number(r.timestamp),
                },
            });
        }
    } else if (r.vendor === "shopify") {
        // As Shopify documents it: base64 HMAC-SHA256 of the raw body.
        headers["X-Shopify-Hmac-Sha256"] = crypto.createHmac("sha256", r.secret).update(r.body).digest("base64");
    } else if (r.vendor === "patreon") {
        // As Patreon signs its webhooks: hex HMAC-MD5 of the raw body.
        headers["X-Patreon-Signature"] = crypto.createHmac("md5", r.secret).update(r.body).digest("hex");
    } else if (r.vendor === "paystack") {
        // As Paystack signs its webhooks: hex HMAC-SHA512 of the raw body.
        headers["X-Paystack-Signature"] = crypto.createHmac("sha512", r.secret).update(r.body).digest("hex");
    } else if (r.vendor === "keys") {
        const pair = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
        headers.public = pair.publicKey.export({ format: "der", type: "spki" }).toString("base64");
        headers.private = pair.privateKey.export({ format: "pem", type: "pkcs8" });
    } else if (r.vendor === "sendgrid") {
        // SendGrid signs with its private key; its own library must verify.
        const signature = crypto.sign("sha256", Buffer.from(r.timestamp + r.body), r.private).toString("base64");
        headers["X-Twilio-Email-Event-Webhook-Signature"] = signature;
        headers["X-Twilio-Email-Event-Webhook-Timestamp"] = r.timestamp;
        const { EventWebhook } = require("@sendgrid/eventwebhook");
        const webhook = new EventWebhook();
        const key = webhook.convertPublicKeyToECDSA(r.public);
        if (r.check && !webhook.verifySignature(key, r.body, signature, r.timestamp)) {
            throw new Error("@sendgrid/eventwebhook does not accept the signature");
        }
    } else if (r.vendor === "hubspot") {
        const { Signature } = require("@hubspot/api-client");
        const options = { clientSecret: r.secret, url: r.url, requestBody: r.body, timestamp: r.timestamp };
        headers["X-HubSpot-Signature-v3"] = Signature.getSignature("POST", "v3", options);
        headers["X-HubSpot-Request-Timestamp"] = String(r.timestamp);
    } else if (r.vendor === "square") {
        // As Square documents it; its SDK's verifier must agree.
        const signature = crypto.createHmac("sha256", r.secret).update(r.url + r.body).digest("base64");
        headers["x-square-hmacsha256-signature"] = signature;
        const { WebhooksHelper } = require("square");
        const valid = await WebhooksHelper.verifySignature({
            requestBody: r.body, signatureHeader: signature, signatureKey: r.secret, notificationUrl: r.url,
        });
        if (r.check && !valid) {
            throw new Error("square's WebhooksHelper does not accept the signature");
        }
    } else if (r.vendor === "twilio") {
        const twilio = require("twilio");
        const params = Object.fromEntries(new URLSearchParams(r.body));
        headers["X-Twilio-Signature"] = twilio.getExpectedTwilioSignature(r.secret, r.url, params);
        if (!twilio.validateRequest(r.secret, headers["X-Twilio-Signature"], r.url, params)) {
            throw new Error("twilio disagrees with itself");
        }
    }
    process.stdout.write(JSON.stringify(headers));
})().catch((e) => { console.error(e); process.exit(1); });
"#;

/// A real OAuth2 server whose tokens live six seconds; each token request is
/// a JSON line on stdout.
const OAUTH_JS: &str = r#"
const path = require("path");
const url = require("url");
(async () => {
    const file = path.join(process.env.NODE_PATH, "oauth2-mock-server/dist/index.mjs");
    const { OAuth2Server } = await import(url.pathToFileURL(file));
    const server = new OAuth2Server();
    await server.issuer.keys.generate("RS256");
    server.service.on("beforeTokenSigning", (token) => {
        token.payload.exp = token.payload.iat + 6;
        // Two tokens issued in one second differ all the same.
        token.payload.jti = require("crypto").randomUUID();
    });
    server.service.on("beforeResponse", (response, req) => {
        response.body.expires_in = 6;
        console.log(JSON.stringify({
            grant: req.body.grant_type, refresh: req.body.refresh_token, scope: req.body.scope,
            authorization: req.headers.authorization, access: response.body.access_token,
            next_refresh: response.body.refresh_token,
        }));
    });
    await server.start(Number(process.argv[2]), "127.0.0.1");
    console.log("listening");
})().catch((e) => { console.error(e); process.exit(1); });
"#;

fn vendor_modules() -> PathBuf {
    let modules = std::env::var_os("WIREPLAN_VENDOR_MODULES").map_or_else(
        || std::env::var_os("WIREPLAN_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from).join("node_modules"),
        PathBuf::from,
    );
    assert!(
        modules.join("stripe").exists() && modules.join("oauth2-mock-server").exists(),
        "the vendors' npm packages are missing ({}): run `scripts/test.sh`, which installs them into .tools/",
        modules.display()
    );
    modules
}

struct Signer {
    script: PathBuf,
    modules: PathBuf,
}

impl Signer {
    fn sign(&self, request: &Value) -> Vec<(String, String)> {
        let out = Command::new("node")
            .arg(&self.script)
            .arg(request.to_string())
            .env("NODE_PATH", &self.modules)
            .output()
            .unwrap();
        assert!(out.status.success(), "{request}: {}", String::from_utf8_lossy(&out.stderr));
        let headers: serde_json::Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
        headers.into_iter().map(|(k, v)| (k, v.as_str().unwrap().to_owned())).collect()
    }
}

/// A target that answers 401 to its first request and 200 after, recording
/// each request's path and `Authorization` header.
struct Gate {
    port: u16,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Gate {
    fn start() -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let shared = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                let (mut authorization, mut length) = (String::new(), 0usize);
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = header.split_once(':') {
                        match k.trim().to_ascii_lowercase().as_str() {
                            "authorization" => authorization = v.trim().to_owned(),
                            "content-length" => length = v.trim().parse().unwrap_or(0),
                            _ => {}
                        }
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let first = {
                    let mut seen = shared.lock().unwrap();
                    seen.push((path, authorization));
                    seen.len() == 1
                };
                let (status, reason) = if first { (401, "Unauthorized") } else { (200, "OK") };
                let _ = write!(
                    reader.into_inner(),
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
                );
            }
        });
        Gate { port, seen }
    }
}

/// Kills the OAuth2 server on drop.
struct Child2(Child);

impl Drop for Child2 {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn post(port: u16, path: &str, content_type: &str, headers: &[(String, String)], body: &str) -> u16 {
    let mut all: Vec<(&str, &str)> = vec![("Content-Type", content_type)];
    all.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    http(port, "POST", path, &all, body).map_or(0, |(status, _)| status)
}

const WAIT: Duration = Duration::from_secs(15);

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn vendors_sign_and_authenticate_as_their_own_libraries_do() {
    let _ = node_red_js();
    let modules = vendor_modules();
    let work = TempSpec::new("vendors-e2e");
    work.file("wireplan.kdl", SPEC);
    let out = work.dir.join("out");
    let built = crate::util::wireplan()
        .args(["build", ".", "--target", "hub", "--out"])
        .arg(&out)
        .current_dir(&work.dir)
        .output()
        .unwrap();
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let user_dir = work.dir.join("user");
    std::fs::create_dir_all(&user_dir).unwrap();
    for file in ["flows.json", "settings.js"] {
        std::fs::copy(out.join("node-red").join(file), user_dir.join(file)).unwrap();
    }
    let signer = Signer { script: work.file("sign.js", SIGN_JS), modules: modules.clone() };

    // The token endpoint.
    let oauth_port = free_port();
    let oauth_log = work.dir.join("oauth.log");
    let oauth = Child2(
        Command::new("node")
            .arg(work.file("oauth.js", OAUTH_JS))
            .arg(oauth_port.to_string())
            .env("NODE_PATH", &modules)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&oauth_log).unwrap())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while !std::fs::read_to_string(&oauth_log).unwrap_or_default().contains("listening") {
        assert!(start.elapsed() < WAIT, "the OAuth2 server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let token_requests = || -> Vec<Value> {
        std::fs::read_to_string(&oauth_log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };

    let recorder = Recorder::start();
    let gate = Gate::start();
    let keys = signer.sign(&json!({"vendor": "keys"}));
    let key = |name: &str| keys.iter().find(|(k, _)| k == name).unwrap().1.clone();
    let (public_key, private_key) = (key("public"), key("private"));
    let public = "https://hub.example.com";
    let env: Vec<(String, String)> = [
        ("BOOKS_URL", recorder.url("/books")),
        ("SHIPPING_URL", recorder.url("/shipping")),
        ("POS_URL", recorder.url("/pos")),
        ("DESK_URL", recorder.url("/desk")),
        ("DESK_KEY", "desk-api-key".into()),
        ("CRM_URL", format!("http://127.0.0.1:{}/crm", gate.port)),
        ("CRM_TOKEN_URL", format!("http://127.0.0.1:{oauth_port}/token")),
        ("CRM_ID", "crm-client".into()),
        ("CRM_SECRET", "crm-secret".into()),
        ("POS_TOKEN", "pos-token".into()),
        ("BOOKS_TOKEN_URL", format!("http://127.0.0.1:{oauth_port}/token")),
        ("BOOKS_CLIENT_ID", "books-client".into()),
        ("BOOKS_CLIENT_SECRET", "books-secret".into()),
        ("BOOKS_REFRESH_TOKEN", "first-refresh-token".into()),
        ("SHIPPING_USER", "ship-user".into()),
        ("SHIPPING_PASSWORD", "ship-pass".into()),
        ("PAYMENTS_WEBHOOK_SECRET", "whsec_stripe_secret".into()),
        ("CODE_WEBHOOK_SECRET", "github-secret".into()),
        ("CHAT_WEBHOOK_SECRET", "slack-secret".into()),
        ("SHOP_WEBHOOK_SECRET", "shopify-secret".into()),
        ("MEMBERS_SIGNING_SECRET", "patreon-secret".into()),
        ("GATEWAY_SIGNING_SECRET", "paystack-secret".into()),
        ("PHONE_WEBHOOK_SECRET", "twilio-auth-token".into()),
        ("WIREPLAN_PUBLIC_URL", public.into()),
        ("MAIL_WEBHOOK_SECRET", public_key.clone()),
        ("MARKETING_WEBHOOK_SECRET", "hubspot-client-secret".into()),
        ("POS_WEBHOOK_SECRET", "square-signature-key".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let red = NodeRed::start(&user_dir, &env, "node-red.log");
    let log = red.log();
    assert!(log.contains("Started flows") && !log.contains("[error]"), "{log}");
    let port = red_port(&red);
    let json = "application/json";

    // Stripe, signed by Stripe's library.
    let paid = r#"{"id":"evt_1","type":"invoice.paid","amount":4200}"#;
    let stripe = |body: &str, secret: &str, timestamp: u64| {
        signer.sign(&json!({"vendor": "stripe", "body": body, "secret": secret, "timestamp": timestamp}))
    };
    // Signed before anything is sent: signing takes a node process each, and
    // the token's lifetime is short.
    let good = stripe(paid, "whsec_stripe_secret", now());
    let paid2 = r#"{"id":"evt_2","type":"invoice.paid","amount":1}"#;
    let good2 = stripe(paid2, "whsec_stripe_secret", now());
    let paid3 = r#"{"id":"evt_3","type":"invoice.paid","amount":2}"#;
    let good3 = stripe(paid3, "whsec_stripe_secret", now());
    assert_eq!(post(port, "/hooks/payment.paid", json, &good, paid), 202, "{}", red.log());
    let is_books = |r: &Recorded| r.path == "/books/invoice";
    let requests = recorder.wait_for(1, WAIT, is_books);
    let issued = Instant::now();
    // Within its lifetime the token is reused.
    assert_eq!(post(port, "/hooks/payment.paid", json, &good2, paid2), 202);
    let requests2 = recorder.wait_for(2, WAIT, is_books);
    assert_eq!(post(port, "/hooks/payment.paid", json, &good, paid), 401, "a replayed delivery");
    let tampered = paid.replace("4200", "1");
    assert_eq!(post(port, "/hooks/payment.paid", json, &stripe(paid, "whsec_stripe_secret", now()), &tampered), 401);
    assert_eq!(post(port, "/hooks/payment.paid", json, &stripe(paid, "whsec_wrong", now()), paid), 401);
    assert_eq!(post(port, "/hooks/payment.paid", json, &stripe(paid, "whsec_stripe_secret", now() - 600), paid), 401);

    // The OAuth2 target: the token fetched with the refresh token.
    let first = requests.iter().find(|r| is_books(r)).expect("the invoice is written").clone();
    assert_eq!(first.json(), json!({"id": "evt_1", "type": "invoice.paid", "amount": 4200}));
    let tokens = token_requests();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0]["grant"], "refresh_token");
    assert_eq!(tokens[0]["refresh"], "first-refresh-token");
    assert_eq!(tokens[0]["scope"], "com.intuit.quickbooks.accounting");
    assert_eq!(tokens[0]["authorization"], format!("Basic {}", b64("books-client:books-secret")));
    let first_token = tokens[0]["access"].as_str().unwrap().to_owned();
    assert_eq!(first.headers["authorization"], format!("Bearer {first_token}"));

    let second = requests2.iter().filter(|r| is_books(r)).nth(1).expect("the second invoice").clone();
    assert_eq!(second.headers["authorization"], format!("Bearer {first_token}"));
    assert_eq!(token_requests().len(), 1);
    // Once it expires, the hub refreshes with the refresh token it was last
    // given.
    std::thread::sleep(Duration::from_millis(6_500).saturating_sub(issued.elapsed()));
    assert_eq!(post(port, "/hooks/payment.paid", json, &good3, paid3), 202);
    let requests = recorder.wait_for(3, WAIT, is_books);
    let third = requests.iter().filter(|r| is_books(r)).nth(2).expect("delivered after the refresh").clone();
    let tokens = token_requests();
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    assert_eq!(tokens[1]["refresh"], tokens[0]["next_refresh"], "the rotated refresh token");
    let second_token = tokens[1]["access"].as_str().unwrap();
    assert_ne!(second_token, first_token);
    assert_eq!(third.headers["authorization"], format!("Bearer {second_token}"));

    // The poll reads its source with the source's Basic credentials.
    let requests = recorder.wait_for(1, WAIT, |r| r.method == "GET");
    let read = requests.iter().find(|r| r.method == "GET").expect("the poll reads shipping");
    assert_eq!(read.path, "/shipping/shipments");
    assert_eq!(read.headers["authorization"], format!("Basic {}", b64("ship-user:ship-pass")));

    // GitHub, signed by @octokit/webhooks-methods; Basic auth on the way out.
    let pushed = r#"{"ref":"refs/heads/main","after":"abc"}"#;
    let github = |body: &str, secret: &str| signer.sign(&json!({"vendor": "github", "body": body, "secret": secret}));
    assert_eq!(post(port, "/hooks/code.pushed", json, &github(pushed, "github-secret"), pushed), 202);
    assert_eq!(post(port, "/hooks/code.pushed", json, &github(pushed, "github-secret"), r#"{"ref":"x"}"#), 401);
    assert_eq!(post(port, "/hooks/code.pushed", json, &github(pushed, "wrong"), pushed), 401);
    let is_orders = |r: &Recorded| r.path == "/shipping/orders";
    let requests = recorder.wait_for(1, WAIT, is_orders);
    let order = requests.iter().find(|r| is_orders(r)).expect("the push reaches shipping");
    assert_eq!(order.headers["authorization"], format!("Basic {}", b64("ship-user:ship-pass")));
    assert_eq!(order.json(), json!({"ref": "refs/heads/main", "after": "abc"}));

    // Slack, signed as documented and accepted by Slack's SDK first.
    let message = r#"{"id":"msg-1","text":"hello"}"#;
    let slack = |body: &str, secret: &str, timestamp: u64, check: bool| {
        signer.sign(&json!({"vendor": "slack", "body": body, "secret": secret, "timestamp": timestamp, "check": check}))
    };
    assert_eq!(post(port, "/hooks/chat.message", json, &slack(message, "slack-secret", now(), true), message), 202);
    let tampered = message.replace("hello", "bye");
    assert_eq!(post(port, "/hooks/chat.message", json, &slack(message, "slack-secret", now(), true), &tampered), 401);
    assert_eq!(post(port, "/hooks/chat.message", json, &slack(message, "wrong", now(), false), message), 401);
    let old = slack(message, "slack-secret", now() - 600, false);
    assert_eq!(post(port, "/hooks/chat.message", json, &old, message), 401);
    // Square reads its idempotency key in the body, not in a header.
    let is_pos = |r: &Recorded| r.path == "/pos/payments";
    let requests = recorder.wait_for(1, WAIT, is_pos);
    let payment = requests.iter().find(|r| is_pos(r)).expect("the message reaches the point of sale");
    assert_eq!(payment.json(), json!({"id": "msg-1", "text": "hello", "idempotency_key": "msg-1"}));
    assert!(!payment.headers.contains_key("idempotency-key"), "{:?}", payment.headers);
    assert_eq!(payment.headers["authorization"], "Bearer pos-token");

    // Shopify, as documented.
    let order = r#"{"id":820982911946154508,"email":"jon@example.com"}"#;
    let shopify = |body: &str, secret: &str| signer.sign(&json!({"vendor": "shopify", "body": body, "secret": secret}));
    assert_eq!(post(port, "/hooks/order.created", json, &shopify(order, "shopify-secret"), order), 202);
    let tampered = order.replace("jon", "eve");
    assert_eq!(post(port, "/hooks/order.created", json, &shopify(order, "shopify-secret"), &tampered), 401);
    assert_eq!(post(port, "/hooks/order.created", json, &shopify(order, "wrong"), order), 401);

    // Statements of the spec's own, HMAC-MD5 (Patreon's scheme) and
    // HMAC-SHA512 (Paystack's): the payload reaches its target, and a
    // tampered body or a wrong secret gets 401.
    let spec_signed = |vendor: &str, secret: &str, hook: &str, delivered_to: &str, body: &str, tampered: &str| {
        let sign = |secret: &str| signer.sign(&json!({"vendor": vendor, "body": body, "secret": secret}));
        assert_eq!(post(port, hook, json, &sign(secret), body), 202, "{vendor}");
        let requests = recorder.wait_for(1, WAIT, |r| r.path == delivered_to);
        assert_eq!(requests.iter().filter(|r| r.path == delivered_to).count(), 1, "{requests:#?}");
        assert_eq!(post(port, hook, json, &sign(secret), tampered), 401, "{vendor}");
        assert_eq!(post(port, hook, json, &sign("wrong"), body), 401, "{vendor}");
    };
    let pledge = r#"{"data":{"id":"pledge-1","type":"pledge"}}"#;
    let tampered = pledge.replace("pledge-1", "pledge-2");
    spec_signed("patreon", "patreon-secret", "/hooks/pledge.created", "/shipping/pledges", pledge, &tampered);
    let charge = r#"{"event":"charge.success","data":{"reference":"ref-1"}}"#;
    let tampered = charge.replace("ref-1", "ref-2");
    spec_signed("paystack", "paystack-secret", "/hooks/charge.success", "/shipping/charges", charge, &tampered);
    // The CRM refuses the first token (401): the hub fetches another and
    // tries once more at once, although the flow has no `retry`.
    let start = Instant::now();
    while gate.seen.lock().unwrap().len() < 2 && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    let seen = gate.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}\n{}", red.log());
    let issued: Vec<Value> = token_requests().into_iter().filter(|t| t["grant"] == "client_credentials").collect();
    assert_eq!(issued.len(), 2, "{issued:?}");
    assert_eq!(issued[0]["authorization"], format!("Basic {}", b64("crm-client:crm-secret")));
    for (i, (path, authorization)) in seen.iter().enumerate() {
        assert_eq!(path, "/crm/contacts");
        assert_eq!(*authorization, format!("Bearer {}", issued[i]["access"].as_str().unwrap()));
    }
    assert_ne!(seen[0].1, seen[1].1);

    // Twilio: a form body, signed with the URL it was posted to.
    let form = "From=%2B15551234567&Body=Hi+there&MessageSid=SM1";
    let url = format!("{public}/hooks/sms.received");
    let twilio = |secret: &str| signer.sign(&json!({"vendor": "twilio", "body": form, "secret": secret, "url": url}));
    let form_type = "application/x-www-form-urlencoded";
    assert_eq!(post(port, "/hooks/sms.received", form_type, &twilio("twilio-auth-token"), form), 202, "{}", red.log());
    let tampered = form.replace("Hi", "Bye");
    assert_eq!(post(port, "/hooks/sms.received", form_type, &twilio("twilio-auth-token"), &tampered), 401);
    assert_eq!(post(port, "/hooks/sms.received", form_type, &twilio("wrong"), form), 401);
    let is_sms = |r: &Recorded| r.path == "/shipping/sms";
    let requests = recorder.wait_for(1, WAIT, is_sms);
    let sms = requests.iter().find(|r| is_sms(r)).expect("the SMS reaches shipping");
    assert_eq!(sms.json(), json!({"From": "+15551234567", "Body": "Hi there", "MessageSid": "SM1"}));

    // SendGrid: ECDSA over the timestamp and the body, verified with the
    // public key; its own library agrees.
    let events = r#"[{"email":"a@example.com","event":"delivered"}]"#;
    let sendgrid = |body: &str, private: &str, check: bool| {
        let request = json!({"vendor": "sendgrid", "body": body, "timestamp": now().to_string(),
            "private": private, "public": public_key, "check": check});
        signer.sign(&request)
    };
    assert_eq!(post(port, "/hooks/mail.delivered", json, &sendgrid(events, &private_key, true), events), 202);
    let tampered = events.replace("delivered", "bounce");
    assert_eq!(post(port, "/hooks/mail.delivered", json, &sendgrid(events, &private_key, true), &tampered), 401);
    let other = signer.sign(&json!({"vendor": "keys"}));
    let other_private = &other.iter().find(|(k, _)| k == "private").unwrap().1;
    assert_eq!(post(port, "/hooks/mail.delivered", json, &sendgrid(events, other_private, false), events), 401);

    // HubSpot v3, signed by HubSpot's own library: method, URL, body and a
    // timestamp in milliseconds, at most 5 minutes old.
    let contact = r#"[{"objectId":1246965,"subscriptionType":"contact.creation"}]"#;
    let hubspot_url = format!("{public}/hooks/contact.created");
    let hubspot = |body: &str, secret: &str, millis: u64| {
        signer.sign(
            &json!({"vendor": "hubspot", "body": body, "secret": secret, "url": hubspot_url, "timestamp": millis}),
        )
    };
    let millis = now() * 1000;
    assert_eq!(
        post(port, "/hooks/contact.created", json, &hubspot(contact, "hubspot-client-secret", millis), contact),
        202
    );
    let tampered = contact.replace("1246965", "1");
    let signed = hubspot(contact, "hubspot-client-secret", millis + 1);
    assert_eq!(post(port, "/hooks/contact.created", json, &signed, &tampered), 401);
    assert_eq!(post(port, "/hooks/contact.created", json, &hubspot(contact, "wrong", millis + 2), contact), 401);
    let old = hubspot(contact, "hubspot-client-secret", millis - 600_000);
    assert_eq!(post(port, "/hooks/contact.created", json, &old, contact), 401);

    // Square: the notification URL and the body, as documented; Square's
    // SDK agrees.
    let payment = r#"{"merchant_id":"M1","type":"payment.updated","event_id":"e1"}"#;
    let square_url = format!("{public}/hooks/pos.paid");
    let square = |body: &str, secret: &str, check: bool| {
        signer.sign(&json!({"vendor": "square", "body": body, "secret": secret, "url": square_url, "check": check}))
    };
    assert_eq!(post(port, "/hooks/pos.paid", json, &square(payment, "square-signature-key", true), payment), 202);
    let tampered = payment.replace("M1", "M2");
    assert_eq!(post(port, "/hooks/pos.paid", json, &square(payment, "square-signature-key", true), &tampered), 401);
    assert_eq!(post(port, "/hooks/pos.paid", json, &square(payment, "wrong", false), payment), 401);
    for path in ["/shipping/mail", "/shipping/contacts", "/shipping/pos", "/desk/tickets"] {
        let requests = recorder.wait_for(1, WAIT, |r| r.path == path);
        assert!(requests.iter().any(|r| r.path == path), "{path}: {requests:#?}\n{}", red.log());
    }
    // One flow, two targets, each with its own credentials: Basic, and an
    // API key in its header (no bearer token beside it).
    let requests = recorder.wait_for(1, WAIT, |r| r.path == "/desk/tickets");
    let ticket = requests.iter().find(|r| r.path == "/desk/tickets").unwrap();
    assert_eq!(ticket.headers["x-api-key"], "desk-api-key");
    assert!(!ticket.headers.contains_key("authorization"), "{:?}", ticket.headers);
    let shipped = requests.iter().find(|r| r.path == "/shipping/pos").unwrap();
    assert_eq!(shipped.headers["authorization"], format!("Basic {}", b64("ship-user:ship-pass")));
    assert!(!shipped.headers.contains_key("x-api-key"));

    // Nothing refused was delivered.
    let all = recorder.take();
    assert_eq!(all.iter().filter(|r| is_books(r)).count(), 3, "{all:#?}");
    assert_eq!(all.iter().filter(|r| r.method == "POST" && r.path.starts_with("/shipping/")).count(), 8, "{all:#?}");
    assert_eq!(all.iter().filter(|r| is_pos(r)).count(), 1);
    red.stop();
    drop(oauth);
}

/// The port Node-RED listens on, from its log ("Server now running at
/// http://127.0.0.1:PORT/").
fn red_port(red: &NodeRed) -> u16 {
    let log = red.log();
    let at = log.find("Server now running at http://127.0.0.1:").expect("Node-RED says where it listens");
    let rest = &log[at + "Server now running at http://127.0.0.1:".len()..];
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..end].parse().unwrap_or_else(|e| panic!("{e}: {log}"))
}

fn b64(text: &str) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
