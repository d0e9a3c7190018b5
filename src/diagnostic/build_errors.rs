//! The build errors: what a `build` target cannot emit as the spec says,
//! reported at the spec's own places. Their code lives with the backends
//! (`crate::emit`); their declarations and documentation live here, with the
//! other rules, so `wireplan explain` and the rule pages show them. They are
//! always errors and cannot be allowed.

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
