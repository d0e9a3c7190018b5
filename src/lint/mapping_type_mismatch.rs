//! `mapping-type-mismatch`: a `map` between fields whose types do not
//! convert, by the contract's table (`FieldType::converts_to`).

use super::Context;
use super::util::source_fields;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{FieldType, Owner};

declare_rule! {
    /// ## What it finds
    ///
    /// A `map SRC to=DST` where both fields are declared with a type and the
    /// source type does not convert to the destination type. A map may keep
    /// the type, write anything into `string` or `json`, and widen `int` to
    /// `float`, `money` to `float` and `date` to `datetime`. Some
    /// conversions outside that table are what integrations make every
    /// day, and leave one question the spec's author can answer, which the
    /// finding asks: `int` to `money` (whole units or cents?), `int` to
    /// `datetime` or `date` (a Unix time in seconds or milliseconds?),
    /// `string` to `url` (a whole address, or a key one is built from?),
    /// `string` to `email` (an address, or an id one is looked up by?),
    /// `datetime` to `date` (the day in which time zone?), `money` to `int`
    /// (converted to cents first?), and a string field named as an id
    /// (`woocommerce_id`, `externalId`) into an `int` (an id one system
    /// keeps as text, where the other keeps a number: only digits?). A
    /// string field named for an address (`email`, `customer.Email`: a
    /// form's or a sheet's text) into an `email` field is not asked: its
    /// name says it is one.
    ///
    /// Every finding is an info, a question. A `map` says where a value
    /// goes, not that it is copied as it is: the code between often
    /// converts it (Pub/Sub's attributes, always strings, parsed into
    /// numbers; a stock level cast to an integer; a state looked up as the
    /// other side's id), which the language cannot state. On the real-world
    /// corpus (210 published architectures) these findings were right 14
    /// times in 61, the warnings 6 times in 17; what settles each is what
    /// the code does with a value that does not convert, which the help
    /// asks. Where the spec is the whole program (a flow `wireplan build`
    /// emits, which copies the value), `lint { warn
    /// "mapping-type-mismatch" }` makes it a warning.
    ///
    /// ## Why it matters
    ///
    /// The destination API rejects the value (a string in an integer field),
    /// or worse, accepts a mangled one (JSON in an email field), and the
    /// record is lost or corrupted on every run.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "crm" kind=crm
    /// system "mail" kind=email {
    ///     entity "member" {
    ///         field "score" type=int
    ///     }
    /// }
    /// event "lead.created" from=crm version=1 {
    ///     field "score" type=string
    /// }
    /// flow "leads-to-mail" {
    ///     on "lead.created"
    ///     to mail action=update entity=member {
    ///         map "score" to="score"
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "crm" kind=crm
    /// system "mail" kind=email {
    ///     entity "member" {
    ///         field "score" type=int
    ///     }
    /// }
    /// event "lead.created" from=crm version=1 {
    ///     field "score" type=int
    /// }
    /// flow "leads-to-mail" {
    ///     on "lead.created"
    ///     to mail action=update entity=member {
    ///         map "score" to="score"
    ///     }
    /// }
    /// ```
    pub(crate) static MAPPING_TYPE_MISMATCH = {
        name: "mapping-type-mismatch",
        code: "WP112",
        severity: Info,
        category: Topology,
        summary: "a `map` whose source and destination types do not convert",
    }
}

/// The types `from` converts to, for the help text.
fn targets_of(from: FieldType) -> String {
    let list: Vec<&str> = FieldType::KEYWORDS
        .iter()
        .copied()
        .filter(|k| FieldType::parse(k).is_some_and(|t| from.converts_to(t)))
        .collect();
    list.join(", ")
}

/// The question a conversion outside the contract's table leaves, where
/// integrations make it every day: whole units or cents into an amount, a
/// point in time cut to its day, a Unix time read as a date.
fn conversion_question(from: FieldType, to: FieldType) -> Option<&'static str> {
    match (from, to) {
        (FieldType::Int, FieldType::Money) => Some(
            "an integer amount may be in whole units or in minor units (cents): say which the source sends, \
             or the target books a hundred times the sum",
        ),
        (FieldType::Int, FieldType::Datetime | FieldType::Date) => Some(
            "an integer point in time is a count since the epoch, in seconds or in milliseconds: say which the \
             source sends (a thousand times off lands in 1970 or in the year 50,000), and in which time zone its \
             day is cut",
        ),
        (FieldType::String, FieldType::Url) => Some(
            "a string may be a whole address or only a key or path one is built from (an object's name in a \
             bucket): say which, or the target gets a relative path where it needs a URL",
        ),
        (FieldType::String, FieldType::Email) => Some(
            "a string may be an address or something one is built from or looked up by (a user's id, a \
             name): say which, or the target sends to an address that is not one (type the source field \
             `email` if it is an address)",
        ),
        (FieldType::Money, FieldType::Int) => Some(
            "an amount written as an integer is most often in minor units (an API's cents): say whether it is \
             multiplied by 100 first, or the target books a hundredth of the sum, or drops the cents",
        ),
        (FieldType::Datetime, FieldType::Date) => Some(
            "a point in time cut to its date lands on the day of the time zone that cuts it: a late evening \
             in one zone is the next day in UTC",
        ),
        _ => None,
    }
}

/// The question a string field named as an id (`woocommerce_id`,
/// `externalId`) leaves when it goes into an `int`: one system keeps the
/// other's id as text, as it came, and whether every value is digits only
/// its author knows.
fn id_kept_as_text(name: &str, from: FieldType, to: FieldType) -> Option<&'static str> {
    let named_an_id = super::util::field_words(name).last().is_some_and(|w| w == "id");
    (from == FieldType::String && to == FieldType::Int && named_an_id).then_some(
        "an id one system keeps as text is most often the other's number, stored as it came: say whether every \
         value is digits, or one with letters or spaces is refused",
    )
}

/// Whether a string field named for an address (`email`, `customer.Email`,
/// `contact_email`) goes into an `email` field: a form's or a sheet's cell
/// holds text, and its name says the text is the address.
fn names_an_address(name: &str, from: FieldType, to: FieldType) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    from == FieldType::String && to == FieldType::Email && (last.contains("email") || last.contains("e_mail"))
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let source = source_fields(spec, flow);
        for target in &flow.targets {
            let dest = super::util::target_fields(spec, target);
            // An `each`'s maps read an element's fields, declared on the event as `ARRAY.FIELD`.
            let element_maps = target.each.iter().flat_map(|e| &e.maps);
            for map in target.maps.iter().chain(element_maps) {
                let src = source.and_then(|fields| fields.get(map.src.target? as usize));
                let dst = dest.and_then(|fields| fields.get(map.dst.as_ref()?.target? as usize));
                let (Some(src), Some(dst)) = (src, dst) else { continue };
                let (Some(from), Some(to)) = (&src.ty, &dst.ty) else { continue };
                if from.value.converts_to(to.value) || names_an_address(&src.name.value, from.value, to.value) {
                    continue;
                }
                let mut d = Diagnostic::new(
                    &MAPPING_TYPE_MISMATCH,
                    map.loc,
                    format!(
                        "`map` writes `{}` ({}) into `{}` ({}), and {} does not convert to {}",
                        src.name.value, from.value, dst.name.value, to.value, from.value, to.value
                    ),
                )
                .with_label(format!("{} to {}", from.value, to.value))
                .with_secondary(from.loc, format!("`{}` is {}", src.name.value, from.value))
                .with_secondary(to.loc, format!("`{}` is {}", dst.name.value, to.value))
                .with_help(format!(
                    "map a field of a type that converts to {}, or change a field's type; {} converts to {}",
                    to.value,
                    from.value,
                    targets_of(from.value)
                ))
                .with_owner(Owner::Flow(id));
                // A conversion every integration makes leaves one question
                // only the spec's author can answer; any other leaves the
                // question of what the code does with the value.
                let question = conversion_question(from.value, to.value)
                    .or_else(|| id_kept_as_text(&src.name.value, from.value, to.value))
                    .unwrap_or(
                        "if the integration converts the value on the way (parses the text, rounds the number, \
                         looks the value up), say what becomes of one that does not convert; if it copies the \
                         value as it is, the target refuses or mangles it",
                    );
                d.help = format!("{question}; {}", d.help).into();
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn conversions_follow_the_contract() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm {
                entity "t" {
                    field "s" type=string
                    field "f" type=float
                    field "dt" type=datetime
                    field "e" type=email
                    field "i" type=int
                }
            }
            event "e" from=a version=1 {
                field "i" type=int
                field "m" type=money
                field "d" type=date
                field "j" type=json
                field "f" type=float
            }
            flow "ok" { on "e"; to b action=update entity=t { map "i" to="s"; map "i" to="f"; map "m" to="f"; map "d" to="dt" } }
            flow "bad" { on "e"; to b action=update entity=t { map "j" to="e"; map "f" to="i" } }
        "#;
        let found = test_check(&MAPPING_TYPE_MISMATCH, text);
        let labels: Vec<_> = found.iter().map(|d| d.primary.message.as_ref()).collect();
        assert_eq!(labels, vec!["json to email", "float to int"]);
    }
}
