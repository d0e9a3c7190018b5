// wireplan: the loop guard. Fixed code, the same in every flow file: no name
// from the spec reaches it; the names it keys by arrive as data in msg._wp.
//
// Before each write to a system that a flow with `loop-guard` listens to,
// `remember` notes a fingerprint of the fields written: the SHA-256 of the
// canonical JSON (keys sorted) of each written field's path and value, the
// record's identifying field among them. When a change from that system
// arrives on a loop-guarded flow, `check` computes the same fingerprint over
// the same fields of the change; if the hub wrote exactly those values there
// within the window, the change only echoes the hub's own write and is
// dropped (and audited as `echo-suppressed`).
//
// The memory is shared by every flow (the write is made by one flow, the echo
// arrives on another): one map per system in the global context's `memory`
// store, bounded: at most CAP fingerprints per system, each kept WINDOW_MS,
// the oldest dropped first; and at most SHAPES distinct sets of written
// fields per system.
const WINDOW_MS = 5 * 60 * 1000;
const CAP = 10000;
const SHAPES = 64;
const crypto = global.get("crypto");

// The per-system memory: { entries: Map(fingerprint -> expiry), shapes:
// Map(key -> paths) }. Maps made by another function node come from another
// realm, so they are recognised by their methods, not by `instanceof`.
function memory(system) {
    let all = global.get("wireplan_echoes", "memory");
    if (!all || typeof all.get !== "function") {
        all = new Map();
        global.set("wireplan_echoes", all, "memory");
    }
    let mine = all.get(system);
    if (!mine) {
        mine = { entries: new Map(), shapes: new Map() };
        all.set(system, mine);
    }
    return mine;
}

// Drops the expired fingerprints: they were added in order of expiry, as the
// window is the same for all, so they are the first ones.
function prune(entries, now) {
    for (const [fingerprint, expiry] of entries) {
        if (expiry > now) {
            break;
        }
        entries.delete(fingerprint);
    }
}

function canonical(value) {
    if (Array.isArray(value)) {
        return "[" + value.map(canonical).join(",") + "]";
    }
    if (value !== null && typeof value === "object") {
        const keys = Object.keys(value).sort();
        return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
    }
    return JSON.stringify(value === undefined ? null : value);
}

function lookup(object, path) {
    let value = object;
    for (const key of path) {
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            return undefined;
        }
        if (!Object.prototype.hasOwnProperty.call(value, key)) {
            return undefined;
        }
        value = value[key];
    }
    return value;
}

// The fingerprint of the fields at `paths` of `object`, or null when one of
// them is missing (then the change is not of that shape).
function fingerprint(object, paths) {
    const pairs = [];
    for (const path of paths) {
        const value = lookup(object, path);
        if (value === undefined) {
            return null;
        }
        pairs.push([path, value]);
    }
    return crypto.createHash("sha256").update(canonical(pairs)).digest("hex");
}

// The fields a write sends: each mapped or set field present in the body, or
// the body's own keys when the write sends the payload as it came. Sorted, so
// that one set of fields is one shape.
function written(wp) {
    const body = wp.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
        return [];
    }
    const fields = Array.isArray(wp.fields) ? wp.fields : [];
    const paths = fields.length > 0
        ? fields.map((f) => f.to).filter((p) => Array.isArray(p) && lookup(body, p) !== undefined)
        : Object.keys(body).map((k) => [k]);
    return paths.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

// On the write path, just before the request: pass every message on, and
// remember a write to a system a loop-guarded flow listens to.
function remember() {
    const wp = msg._wp;
    if (!wp || typeof wp.echo !== "string") {
        return msg;
    }
    try {
        const paths = written(wp);
        if (paths.length > 0) {
            const mine = memory(wp.echo);
            const now = Date.now();
            prune(mine.entries, now);
            const print = fingerprint(wp.body, paths);
            mine.entries.delete(print);
            mine.entries.set(print, now + WINDOW_MS);
            while (mine.entries.size > CAP) {
                mine.entries.delete(mine.entries.keys().next().value);
            }
            const shape = JSON.stringify(paths);
            mine.shapes.delete(shape);
            mine.shapes.set(shape, paths);
            while (mine.shapes.size > SHAPES) {
                mine.shapes.delete(mine.shapes.keys().next().value);
            }
        }
    } catch (e) {
        // A body too deep to fingerprint is written unremembered: its echo
        // then passes, as without the guard.
        node.warn("wireplan loop guard: a write could not be remembered: " + e.message);
    }
    return msg;
}

// At the start of a loop-guarded flow: a change that only echoes the hub's
// own write comes back with msg._wp.outcome "echo-suppressed" (and the
// fingerprint); anything else comes back as it came.
function check() {
    const wp = msg._wp || {};
    try {
        if (typeof wp.source === "string") {
            const mine = memory(wp.source);
            const now = Date.now();
            prune(mine.entries, now);
            for (const paths of mine.shapes.values()) {
                const print = fingerprint(msg.payload, paths);
                if (print !== null && mine.entries.has(print)) {
                    wp.outcome = "echo-suppressed";
                    wp.fingerprint = print;
                    msg._wp = wp;
                    return msg;
                }
            }
        }
    } catch (e) {
        node.warn("wireplan loop guard: a change could not be checked: " + e.message);
    }
    return msg;
}
