//! The build errors: what a `build` target cannot emit as the spec says,
//! reported at the spec's own places. Their code lives with the backends
//! (`crate::emit`); their declarations and documentation live here, with the
//! other rules, so `wireplan explain` and the rule pages show them. They
//! cannot be allowed: the errors stop the build; `not-carried-out`, a
//! warning, stops it only under `--deny-warnings`.

use super::declare_rule;

declare_rule! {
    /// ## What it finds
    ///
    /// Two distinct names in the spec that a `build` target would turn into
    /// the same identifier: a webhook path, a routing key, a queue or
    /// exchange name, a dbt model, source or column name, a Node-RED node id,
    /// an environment variable. The events `a b` and `a-b-0ffb4f75`, for
    /// example, would both be `POST /hooks/a-b-0ffb4f75`.
    ///
    /// ## Why it matters
    ///
    /// The generated system would merge the two: each event would be
    /// delivered to both events' flows, or one model would overwrite the
    /// other. `build` reports it at both names and writes nothing.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "crm" kind=crm { webhooks #true; }
    /// system "mail" kind=email
    /// event "a b" from=crm version=1
    /// event "a-b-0ffb4f75" from=crm version=1
    /// flow "first" {
    ///     on "a b"
    ///     to mail action=upsert
    /// }
    /// flow "second" {
    ///     on "a-b-0ffb4f75"
    ///     to mail action=upsert
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "crm" kind=crm { webhooks #true; }
    /// system "mail" kind=email
    /// event "a b" from=crm version=1
    /// event "a-b-second" from=crm version=1
    /// flow "first" {
    ///     on "a b"
    ///     to mail action=upsert
    /// }
    /// flow "second" {
    ///     on "a-b-second"
    ///     to mail action=upsert
    /// }
    /// ```
    pub(crate) static NAME_CLASH = {
        name: "name-clash",
        code: "WP301",
        severity: Error,
        category: Build,
        summary: "two names that a build target would emit as one identifier",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A field name or a `set` value, in a flow the ETL target carries, that
    /// the SQL of a warehouse engine in the project cannot hold in a quoted
    /// identifier or string literal: a NUL character.
    ///
    /// ## Why it matters
    ///
    /// The generated model would not parse, or would hold something else
    /// than the spec says; `build --target etl` refuses it rather than
    /// write broken SQL.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce {
    ///     api rest version="v1"
    ///     secret "SHOP_TOKEN"
    ///     url "https://shop.example.com"
    ///     entity "order" {
    ///         field "id" type=string required=#true
    ///     }
    /// }
    /// system "lake" kind=lake {
    ///     entity "orders" {
    ///         field "id" type=string required=#true
    ///         field "source" type=string
    ///     }
    /// }
    /// flow "orders to lake" {
    ///     schedule every="1h"
    ///     from shop entity=order
    ///     to lake action=upsert entity=orders {
    ///         map "id" to="id"
    ///         set "source" "shop\u{0}"
    ///     }
    ///     idempotency-key "id"
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce {
    ///     api rest version="v1"
    ///     secret "SHOP_TOKEN"
    ///     url "https://shop.example.com"
    ///     entity "order" {
    ///         field "id" type=string required=#true
    ///     }
    /// }
    /// system "lake" kind=lake {
    ///     entity "orders" {
    ///         field "id" type=string required=#true
    ///         field "source" type=string
    ///     }
    /// }
    /// flow "orders to lake" {
    ///     schedule every="1h"
    ///     from shop entity=order
    ///     to lake action=upsert entity=orders {
    ///         map "id" to="id"
    ///         set "source" "shop"
    ///     }
    ///     idempotency-key "id"
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static SQL_UNQUOTABLE = {
        name: "sql-unquotable",
        code: "WP302",
        severity: Error,
        category: Build,
        summary: "a name or value no SQL literal of the warehouse can hold",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// A statement the spec says, in a flow that `build --target` builds,
    /// that the target does not carry out at run time: a `when` filter or a
    /// `retry on=` in the hub and the broker, a later target's own `retry`
    /// attempts in the broker, `retry` and `dead-letter` in the ETL target.
    /// The README's table "What each target carries out" lists every
    /// statement and target.
    ///
    /// ## Why it matters
    ///
    /// `wireplan check` reads the spec as it is written: with `when`, a flow
    /// runs only for the triggers it filters. If the generated configuration
    /// drops the statement, production does not do what the check assumed:
    /// the flow writes for every trigger. The build says so rather than drop
    /// it in silence; it still writes (`--deny-warnings` makes it stop).
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "crm" kind=crm {
    ///     webhooks #true
    ///     entity "contact" {
    ///         field "email" type=string required=#true
    ///         field "status" type=string
    ///     }
    /// }
    /// system "mail" kind=email
    /// event "contact.updated" from=crm entity=contact version=1 {
    ///     field "email" type=string required=#true
    ///     field "status" type=string
    /// }
    /// flow "crm-to-mail" {
    ///     on "contact.updated"
    ///     when "status" "active"
    ///     to mail action=upsert { map "email" to="email"; }
    ///     idempotency-key "email"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Until the target carries `when`, filter where the trigger starts (most
    /// tools send webhooks only for the changes you choose) and drop it.
    ///
    /// ```kdl
    /// system "crm" kind=crm {
    ///     webhooks #true
    ///     entity "contact" {
    ///         field "email" type=string required=#true
    ///         field "status" type=string
    ///     }
    /// }
    /// system "mail" kind=email
    /// event "contact.updated" from=crm entity=contact version=1 {
    ///     field "email" type=string required=#true
    ///     field "status" type=string
    /// }
    /// flow "crm-to-mail" {
    ///     on "contact.updated"
    ///     to mail action=upsert { map "email" to="email"; }
    ///     idempotency-key "email"
    /// }
    /// ```
    pub(crate) static NOT_CARRIED_OUT = {
        name: "not-carried-out",
        code: "WP303",
        severity: Warning,
        category: Build,
        summary: "a statement the build target does not carry out at run time",
    }
}
