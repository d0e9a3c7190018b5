//! The spec errors: mistakes in the spec itself, found while parsing, lowering
//! and resolving.
//!
//! Their code lives in `crate::syntax`, `crate::lower` and `crate::resolve`;
//! their declarations and documentation live here, together, because each is
//! reported from several places. They are always errors and cannot be allowed.

use super::declare_rule;

declare_rule! {
    /// ## What it finds
    ///
    /// Text that is not valid KDL v2: an unclosed `{`, an unterminated string,
    /// a bare word where a value belongs. Every error the parser recovers is
    /// reported, each at the offending text. Files that are not UTF-8, larger
    /// than 256 MiB or nested more than 128 levels deep are reported here too.
    ///
    /// ## Why it matters
    ///
    /// Nothing after the error can be checked reliably until it is fixed.
    /// A file written in KDL v1 is recognised and gets a migration hint.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     webhooks true
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     webhooks #true
    /// }
    /// ```
    pub(crate) static SYNTAX = {
        name: "syntax",
        code: "WP001",
        severity: Error,
        category: Spec,
        summary: "KDL that does not parse",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A node the spec language does not have at that place, such as
    /// `sytem` at the top level or `retries` inside a flow. The closest known
    /// node is suggested.
    ///
    /// ## Why it matters
    ///
    /// A misspelt node is silently meaningless: `retries attempts=3` would
    /// leave the flow without retries while its author believes it has them.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     webhook #true
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     webhooks #true
    /// }
    /// ```
    pub(crate) static UNKNOWN_NODE = {
        name: "unknown-node",
        code: "WP002",
        severity: Error,
        category: Spec,
        summary: "a node the language does not have",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A property a node does not take, such as `kinds=crm` on a system or
    /// `attempt=3` on `retry`. The closest known property is suggested.
    ///
    /// ## Why it matters
    ///
    /// The property would be ignored, and the setting its author meant to
    /// make would not be made.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     rate-limit 100 pre=second
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     rate-limit 100 per=second
    /// }
    /// ```
    pub(crate) static UNKNOWN_PROPERTY = {
        name: "unknown-property",
        code: "WP003",
        severity: Error,
        category: Spec,
        summary: "a property the node does not take",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A value of the wrong type or out of range: a system `kind`, field
    /// `type` or `action` that is not one of the language's keywords, a
    /// duration that is not like `"30s"`, `"5m"`, `"1h"` or `"1d"`, a cron
    /// expression that is not five valid fields, a horizon outside 12 to 36
    /// months, a negative count, a number where a string belongs.
    ///
    /// ## Why it matters
    ///
    /// wireplan cannot reason about a value it does not understand, and the
    /// runtime the spec is compiled for would reject it later, in production.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crn
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// ```
    pub(crate) static BAD_VALUE = {
        name: "bad-value",
        code: "WP004",
        severity: Error,
        category: Spec,
        summary: "a value of the wrong type or out of range",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A required argument or property that is absent: a system, event or
    /// flow without a name, a system without `kind=`, an event without
    /// `from=`, a flow without a trigger or without any `to`.
    ///
    /// ## Why it matters
    ///
    /// The node cannot take part in the topology without it: an event with no
    /// producer, or a flow with no target, connects nothing.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot"
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// ```
    pub(crate) static MISSING_ARGUMENT = {
        name: "missing-argument",
        code: "WP005",
        severity: Error,
        category: Spec,
        summary: "a required argument or property is absent",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// Two systems, events or flows with one name (across all included
    /// files), two entities with one name in a system, or two fields with one
    /// name in an entity or event. Both places are labelled.
    ///
    /// ## Why it matters
    ///
    /// References to the name would be ambiguous, and one declaration would
    /// silently shadow the other.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// system "hubspot" kind=email
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// system "mailchimp" kind=email
    /// ```
    pub(crate) static DUPLICATE_NAME = {
        name: "duplicate-name",
        code: "WP006",
        severity: Error,
        category: Spec,
        summary: "two systems, events, flows, entities or fields with one name",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A system, event, entity or field name that is not declared, such as
    /// `on "lead.create"` when the event is `lead.created`. The closest
    /// declared name is suggested. Entities and fields are checked only for
    /// systems and events that declare them (others are schemaless).
    ///
    /// ## Why it matters
    ///
    /// A dangling reference is a flow that will never run or a field that will
    /// never be filled.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// event "lead.created" from=hubspt
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// event "lead.created" from=hubspot
    /// ```
    pub(crate) static UNRESOLVED_REFERENCE = {
        name: "unresolved-reference",
        code: "WP007",
        severity: Error,
        category: Spec,
        summary: "a system, event, entity or field name that is not declared",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// An `include` that cannot be loaded: a missing file, a glob that matches
    /// nothing, a path outside the spec's root folder (such as `../../x` or
    /// `/etc/passwd`), a folder, an unreadable file, or a cycle of includes.
    /// A file included twice is loaded once and is not an error.
    ///
    /// ## Why it matters
    ///
    /// The systems and flows in the missing file would be absent from every
    /// check, and a spec must not read files outside its own folder.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// include "sales/missing.kdl"
    /// ```
    ///
    /// ## Fix
    ///
    /// Create the file, correct the path, or remove the `include`.
    ///
    /// ```kdl
    /// // include "sales/missing.kdl"
    /// ```
    pub(crate) static INCLUDE_ERROR = {
        name: "include-error",
        code: "WP008",
        severity: Error,
        category: Spec,
        summary: "a missing, cyclic or out-of-root include",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A value that holds a credential: a word with a known token prefix
    /// (`sk_live_`, `xoxb-`, `pat-`, `ghp_`, `AKIA`, ...) anywhere in it (so
    /// `Bearer sk_live_...` and `https://x/?token=ghp_...` are found), a
    /// private-key block, a JWT, a URL with a password, or a long,
    /// high-entropy word. Hosts, `host:port`, URLs without a password,
    /// UUIDs and version strings are not credentials, and a URL path
    /// (`/admin/api/2020-04/products/{id}.json`) or a URI with a scheme
    /// (`iglu:com.acme/order/jsonschema/1-0-0`) is read a segment at a
    /// time, so only a segment that is a token is found. Every string in the
    /// file is looked at, in nodes wireplan does not know too, and in nodes
    /// commented out with `/-` (they are committed all the same). A `secret`
    /// takes the name of an environment variable, in UPPER_SNAKE_CASE;
    /// anything else there is reported as well. The finding names what was
    /// found and shows a masked prefix (`sk_live_…`), never the value.
    ///
    /// ## Why it matters
    ///
    /// Specs are committed to version control and shared; a credential in one
    /// is leaked. The spec names environment variables; the runtime reads them.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "stripe" kind=payments {
    ///     secret "sk_live_51HxQeTz8KXbq0Rn2Ww9"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "stripe" kind=payments {
    ///     secret "STRIPE_API_KEY"
    /// }
    /// ```
    pub(crate) static SECRET_LITERAL = {
        name: "secret-literal",
        code: "WP009",
        severity: Error,
        category: Spec,
        summary: "a value that looks like a credential",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A rule name in `lint`, in an inline `allow`, or given to `--deny`,
    /// `--warn` or `--allow` that is not a wireplan rule; the closest rule is
    /// suggested. Naming a spec error (which cannot be allowed) is reported too.
    ///
    /// ## Why it matters
    ///
    /// A misspelt `allow` silences nothing and a misspelt `deny` enforces
    /// nothing, while the spec reads as if it did.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// lint {
    ///     deny "sync-cylce"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// lint {
    ///     deny "allow-without-reason"
    /// }
    /// ```
    pub(crate) static UNKNOWN_RULE = {
        name: "unknown-rule",
        code: "WP010",
        severity: Error,
        category: Spec,
        summary: "a rule name that does not exist",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A name (of a system, event, flow, entity, field or stack, declared or
    /// referred to) that holds a control character (NUL, tab, newline, ESC,
    /// DEL, NEL and the other C0 and C1 controls) or a noncharacter (U+FFFE,
    /// U+FFFF, U+FDD0 to U+FDEF, the last two code points of every plane);
    /// and a field name with a part (between dots) that JavaScript objects
    /// treat as their prototype's: `__proto__`, `constructor`, `prototype`,
    /// `__defineGetter__`, `__defineSetter__`, `__lookupGetter__`,
    /// `__lookupSetter__`. Every other character is allowed: letters, marks
    /// and digits of every script, spaces, punctuation, symbols and emoji.
    ///
    /// ## Why it matters
    ///
    /// Names are written into what other programs read: YAML (dbt, Meltano,
    /// AsyncAPI), XML (JUnit reports), SQL, JSON and terminals. Some of those
    /// cannot hold such characters at all (XML 1.0 has no way to write NUL or
    /// U+FFFE, DuckDB stops at NUL, YAML 1.1 reads NEL as a line break, so a
    /// dbt test would name a column that does not exist), and the hub's
    /// JSONata mapping neither reads nor writes a `__proto__` key, so such a
    /// field would be dropped without a word.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "crm" kind=crm {
    ///     entity "contact" {
    ///         field "first\u{85}name" type=string
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "crm" kind=crm {
    ///     entity "contact" {
    ///         field "first name" type=string
    ///     }
    /// }
    /// ```
    pub(crate) static UNUSABLE_NAME = {
        name: "unusable-name",
        code: "WP011",
        severity: Error,
        category: Spec,
        summary: "a name that holds a control character or a noncharacter, or a prototype key as a field name",
    }
}
