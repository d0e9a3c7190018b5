//! The JSONata expressions of the Node-RED flows, fixed text that no spec
//! name reaches: everything that differs between flows and targets travels
//! in `msg._wp` as serde-written JSON, and these read it from there. The
//! hub's chains and the broker's connectors evaluate the same expressions,
//! so a flow maps, authenticates, retries and logs alike on either target.

/// Reads a path (an array of keys, from a dotted field name) from an object.
macro_rules! get_fn {
    () => {
        "$get := function($o, $path) { $reduce($path, function($v, $k) { \
         $type($v) = \"object\" ? $lookup($v, $k) : undefined }, $o) };"
    };
}
/// The body of a write: the trigger's payload unchanged when the `to` maps
/// nothing, else one value per `map` (read from the payload by its path) or
/// `set` (the constant), each written at its path, so `merge_fields.SCORE`
/// makes `{"merge_fields": {"SCORE": ...}}`.
pub(in crate::emit) const BODY: &str = concat!(
    "$count(_wp.fields) = 0 ? _wp.input : ( ",
    get_fn!(),
    " $put := function($o, $path, $v) { ( $k := $path[0]; \
     $rest := $count($path) > 1 ? $path[[1..$count($path) - 1]] : []; $has := $lookup($o, $k); \
     $merge([$o, {$k: $count($rest) = 0 ? $v : $put($type($has) = \"object\" ? $has : {}, $rest, $v)}]) ) }; \
     $reduce(_wp.fields, function($acc, $f) { ( $v := $exists($f.from) ? $get(_wp.input, $f.from) : $f.value; \
     $exists($v) ? $put($acc, $f.to, $v) : $acc ) }, {}) )"
);
/// The idempotency key's value, read once from the trigger's payload.
pub(in crate::emit) const KEY_VALUE: &str =
    concat!("( ", get_fn!(), " $exists(_wp.key) ? $string($get(_wp.input, _wp.key)) )");
/// JSON, the target's token if it has one (and it is set), and the
/// idempotency key.
pub(in crate::emit) const HEADERS: &str = "$merge([{\"Content-Type\": \"application/json\"}, \
    $exists(_wp.token_env) and $env(_wp.token_env) ? {\"Authorization\": \"Bearer \" & $env(_wp.token_env)} : {}, \
    $exists(_wp.key_value) ? {\"Idempotency-Key\": _wp.key_value} : {}])";
/// The request's URL: the base URL from the environment and the path. (A
/// `${VAR}/path` in the request node's own URL would be sent literally.)
pub(in crate::emit) const URL: &str = "$env(_wp.url_env) & _wp.path";
/// A copy of the headers: the request node replaces `msg.headers` with the
/// response's, and a retry must send the original ones.
pub(in crate::emit) const COPY_HEADERS: &str = "$merge([{}, _wp.headers])";
/// Milliseconds before the next attempt. `fixed` waits `initial`.
/// `exponential` takes the doubled wait `d = min(initial * 2^(attempt - 1),
/// max)` and draws the wait uniformly from `[max(initial, d / 2), d]`,
/// rounded down: "equal jitter" (half the wait fixed, half random), floored
/// at `initial`. So the wait is never shorter than `initial=` nor longer than
/// `max=` or the doubling the spec declares; the first retry waits `initial`
/// exactly, and from the second on, senders that failed together spread
/// over up to half the wait instead of coming back in step. (With `max`
/// below `initial`, every wait is `max`, as before jitter.)
pub(in crate::emit) const BACKOFF: &str = "_wp.exponential ? ( $d := $min([_wp.initial * $power(2, _wp.attempt - 1), \
     _wp.max]); $lo := $min([$max([_wp.initial, $d / 2]), $d]); $floor($lo + $random() * ($d - $lo)) ) : _wp.initial";
pub(in crate::emit) const NEXT_ATTEMPT: &str = "_wp.attempt + 1";
pub(in crate::emit) const AUDIT_LINE: &str = "$string({\"time\": $now(), \"flow\": _wp.flow, \"target\": _wp.target, \
    \"outcome\": _wp.outcome, \"attempts\": _wp.attempt, \"status\": statusCode, \"error\": error.message, \
    \"method\": _wp.method, \"path\": _wp.path, \
    \"idempotency_key\": _wp.key_value})";
pub(in crate::emit) const DEAD_LETTER_LINE: &str = "$string({\"time\": $now(), \"flow\": _wp.flow, \"target\": _wp.target, \
    \"attempts\": _wp.attempt, \"status\": statusCode, \"error\": error.message, \
    \"response\": $type(statusCode) = \"number\" ? payload, \
    \"request\": {\"method\": _wp.method, \"path\": _wp.path, \"body\": _wp.body}, \"input\": _wp.input, \
    \"replay\": _wp.replay})";
/// Whether a replayed body is a dead letter of the flow named in
/// `_replay.replay_of` (the route's), for one of the systems it writes to
/// (`_replay.targets`).
pub(in crate::emit) const REPLAY_VALID: &str = "$type(payload) = \"object\" and payload.flow = _replay.replay_of and \
    $type(payload.target) = \"string\" and payload.target in _replay.targets and $exists(payload.input)";
/// What a replayed dead letter carries to its flow besides its event: the
/// target whose attempts ran out, and the flow (which picks its `link`).
pub(in crate::emit) const REPLAY_INPUT: &str = "{\"target\": payload.target, \"replay_of\": _replay.replay_of}";
/// The event a replayed dead letter holds.
pub(in crate::emit) const REPLAY_EVENT: &str = "payload.input";
/// The audit line of a change dropped by the loop guard as an echo of the
/// hub's own write.
pub(in crate::emit) const ECHO_LINE: &str = "$string({\"time\": $now(), \"flow\": _wp.flow, \"source\": _wp.source, \
    \"outcome\": _wp.outcome, \"fingerprint\": _wp.fingerprint})";
pub(in crate::emit) const POLL_URL: &str = "$env(_wp.url_env) & _wp.path & ($exists(_wp.since) ? \
    ($contains(_wp.path, \"?\") ? \"&\" : \"?\") & \"since=\" & $encodeUrlComponent($string(_wp.since)) : \"\")";
pub(in crate::emit) const POLL_HEADERS: &str = "$merge([{\"Accept\": \"application/json\"}, \
    $exists(_wp.token_env) and $env(_wp.token_env) ? {\"Authorization\": \"Bearer \" & $env(_wp.token_env)} : {}])";
/// The records newer than the cursor (all of them the first time).
pub(in crate::emit) const NEW_RECORDS: &str = concat!(
    "( ",
    get_fn!(),
    " $c := _wp.since; $k := _wp.cursor; $r := $type(payload) = \"array\" ? payload : []; \
     [$filter($r, function($v) { $exists($get($v, $k)) and ($not($exists($c)) or $get($v, $k) > $c) })] )"
);
/// The newest cursor value seen, the old one included.
pub(in crate::emit) const NEXT_CURSOR: &str = concat!(
    "( ",
    get_fn!(),
    " $k := _wp.cursor; \
     $xs := $append($exists(_wp.since) ? [_wp.since] : [], $map(payload, function($v) { $get($v, $k) })); \
     $reduce($xs, function($a, $x) { $a >= $x ? $a : $x }) )"
);
/// The flow-context key of a poll's cursor.
pub(in crate::emit) const CURSOR_KEY: &str = "wireplan_cursor";
