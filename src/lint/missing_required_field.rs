//! `missing-required-field`: a `create` or `upsert` that leaves a required
//! field of the target entity empty.

use std::collections::HashSet;

use super::Context;
use super::util::{name_list, own_id};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{Action, Owner, SystemId, SystemKind, Target};

declare_rule! {
    /// ## What it finds
    ///
    /// A `to ... action=create` or `action=upsert` whose entity declares a
    /// field with `required=#true` that no `map` or `set` of that `to`
    /// fills. A partial `update` need not fill required fields, and a field
    /// marked `generated=#true` (a database id) is filled by the system.
    /// A `to` with no `map`, `set` or `each` at all does not describe what
    /// it writes (a bank feed, a model's SQL, a vendor's connector fill it),
    /// so it is not asked. Nor is a new record's own id on a `create` (`id`,
    /// `internal_id`, `uuid`, or the entity's name with `_id`: the target
    /// assigns it), nor a field that names the record an earlier write of
    /// the same flow into the same system made or found (a sales order's
    /// `sell_to_customer_no` after the customer's upsert, an invoice's
    /// `customer_id` after the contact's: people and companies go by several
    /// names), which the write passes on and the language cannot state.
    ///
    /// It is off unless a spec or the command line turns it on: a spec
    /// describes an integration's mapping as far as its questions go, not
    /// every value the code sets, and on the real-world corpus (558
    /// published architectures) these findings were right 3 times in 145;
    /// the others were values the code fills (a total from the invoice, a
    /// path built from the date, a time set on save, an id the code builds,
    /// the answer of a call before). Where the spec is the whole program (a
    /// flow `wireplan build` emits, which sends what the `map`s say and
    /// nothing else), turn it on: `lint { warn "missing-required-field" }`
    /// asks each at info, and `lint { deny "missing-required-field" }`
    /// makes each an error, so that `build` refuses to emit a flow whose
    /// records the target would reject. Turned on, it is an info, a
    /// question: does the integration fill the field where the spec does
    /// not show it? The help says what settles each case: a service
    /// of the team's (`custom`) that may fill or compute the field itself
    /// (an id, a total); an `upsert` that leaves only its record's own id
    /// empty without a `match` on it (the target may assign it when the
    /// upsert creates the record, or need it to find the record); a
    /// record's address (`url`, `href`, `link` of type `url`), its creation
    /// or change time (`created_at`, `CreatedDate`, `updated_at`,
    /// `date_modified`, ... of type `date` or `datetime`) or who made it
    /// (`created_by`, `CreatedById`), which most stores fill themselves
    /// (`generated=#true` says so); a write that carries nothing of its
    /// trigger but the key it finds its record by (its `map`s fill only its
    /// `match` fields), which sketches the record rather than describing it
    /// (a reconcile run re-sending another flow's write, a file whose
    /// content the language cannot map).
    ///
    /// (1.2) So does it for a write of a flow that a vendor's own
    /// integration runs (`run-by`): the spec describes that integration
    /// from outside, and what it fills (the audience a wizard picked, a
    /// conversation it looked up) may not show; for a write after a `call`
    /// the flow waited on, whose answer (a record read back, a search's
    /// result) may carry the value, which the language cannot pass on to a
    /// `map`; and for a write whose trigger carries a `json` field (an
    /// opaque payload) that the write does not map, where the value may be.
    ///
    /// A required reference to records some flow creates or upserts into
    /// the same system (its last word an identifier's:
    /// `RecurringDonationId`, `customer_id`; or its name the records' own:
    /// a Xero payment's `Invoice` beside a flow that brings invoices) is
    /// left alone: the write looks it up, which the language cannot state,
    /// and whether it is there yet is `unordered-events`' question.
    ///
    /// ## Why it matters
    ///
    /// If nothing fills the field, the target API rejects the record on
    /// every run. With retries, each rejection is retried in vain; without
    /// them, the data is lost.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// lint { warn "missing-required-field" }
    /// system "crm" kind=crm
    /// system "mail" kind=email {
    ///     entity "member" {
    ///         field "email_address" type=email required=#true
    ///         field "name" type=string
    ///     }
    /// }
    /// event "lead.created" from=crm version=1 {
    ///     field "email" type=email
    ///     field "name" type=string
    /// }
    /// flow "leads-to-mail" {
    ///     on "lead.created"
    ///     to mail action=upsert entity=member {
    ///         map "name" to="name"
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// lint { warn "missing-required-field" }
    /// system "crm" kind=crm
    /// system "mail" kind=email {
    ///     entity "member" {
    ///         field "email_address" type=email required=#true
    ///         field "name" type=string
    ///     }
    /// }
    /// event "lead.created" from=crm version=1 {
    ///     field "email" type=email
    ///     field "name" type=string
    /// }
    /// flow "leads-to-mail" {
    ///     on "lead.created"
    ///     to mail action=upsert entity=member {
    ///         map "email" to="email_address"
    ///         map "name" to="name"
    ///     }
    /// }
    /// ```
    pub(crate) static MISSING_REQUIRED_FIELD = {
        name: "missing-required-field",
        code: "WP113",
        severity: Info,
        category: Topology,
        summary: "a `create` or `upsert` that fills no value for a required field",
        off_by_default: true,
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let brought = Records::brought(spec);
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        // The records the flow's earlier writes made or found, by system.
        let mut earlier = Records::default();
        for (index, target) in flow.targets.iter().enumerate() {
            if let Some(before) = index.checked_sub(1).map(|i| &flow.targets[i])
                && let (Some(system), Some(entity)) = (before.system.target, before.entity.as_ref())
                && entity.name.value.len() >= 3
            {
                earlier.add(system, &entity.name.value);
            }
            let Some(action) = &target.action else { continue };
            if !matches!(action.value, Action::Create | Action::Upsert) {
                continue;
            }
            // A write that maps nothing does not say what it writes.
            if target.maps_nothing() {
                continue;
            }
            let Some(entity_ref) = &target.entity else { continue };
            let Some(entity_id) = entity_ref.target else { continue };
            let entity = spec.entity(entity_id);
            let mut filled = vec![false; entity.fields.len()];
            // The maps and sets of an `each` fill the fields of every element's write.
            for dst in target.written_fields() {
                // A part of a field (`Line.Amount`, in an `each`) fills the field.
                let part_of = || {
                    let (whole, _) = dst.name.value.split_once('.')?;
                    entity.fields.iter().position(|f| f.name.value == whole)
                };
                let index = dst
                    .target
                    .map(|i| i as usize)
                    .or_else(|| entity.fields.iter().position(|f| f.name.value == dst.name.value));
                for i in index.into_iter().chain(part_of()) {
                    if let Some(slot) = filled.get_mut(i) {
                        *slot = true;
                    }
                }
            }
            let missing: Vec<&crate::model::Field> = entity
                .fields
                .iter()
                .zip(&filled)
                .filter(|(f, done)| f.required && !f.generated && !**done)
                .filter(|(f, _)| {
                    let assigned = action.value == Action::Create && own_id(&f.name.value, &entity.name.value);
                    !assigned && !earlier.carries(target, &f.name.value) && !brought.refers(target, &f.name.value)
                })
                .map(|(f, _)| f)
                .collect();
            // An upsert's own id, when the upsert does not say it finds the
            // record by it: the target may assign it on the create half, as
            // on a `create` (a document store's id), or need it to find the
            // record. The spec does not say which: asked at info.
            let only_own_ids = action.value == Action::Upsert
                && missing.iter().all(|f| {
                    own_id(&f.name.value, &entity.name.value)
                        && !target.matches.iter().flat_map(|m| &m.fields).any(|r| r.name.value == f.name.value)
                });
            // A record's address or its creation and change times, which
            // most stores fill themselves: asked at info, never assumed.
            let only_record_metadata = !only_own_ids && missing.iter().all(|f| record_metadata(f));
            // A write that carries nothing of its trigger but the key it
            // finds its record by sketches the record rather than
            // describing it (a re-run of another flow's write, a file's
            // content the language cannot map): asked at info.
            let keys: Vec<&str> =
                target.matches.iter().flat_map(|m| &m.fields).map(|f| f.name.value.as_str()).collect();
            let key_set: HashSet<&str> = keys.iter().copied().collect();
            let only_key = !keys.is_empty()
                && target.each.is_none()
                && target.maps.iter().all(|m| m.dst.as_ref().is_some_and(|d| key_set.contains(d.name.value.as_str())));
            let Some(first) = missing.first() else { continue };
            let names = name_list(missing.iter().map(|f| f.name.value.as_str()));
            let mut d = Diagnostic::new(
                &MISSING_REQUIRED_FIELD,
                entity_ref.name.loc,
                format!(
                    "flow `{}` does `{}` on `{}` without the required {} {names}",
                    flow.name.value,
                    action.value,
                    entity.name.value,
                    if missing.len() == 1 { "field" } else { "fields" }
                ),
            )
            .with_label(format!("{names} left empty"));
            for f in missing.iter().take(3) {
                d = d.with_secondary(f.loc, "required here");
            }
            // A service of the team's may fill or compute it itself.
            let own_service = target.system.target.is_some_and(|s| spec.system(s).kind() == SystemKind::Custom);
            // (1.2) A vendor's own integration fills what its writes need
            // (the audience a wizard picked, a conversation looked up), and
            // the spec, which describes it from outside, may not show how.
            let vendor = flow.runner();
            // (1.2) An answer the flow waited on before this write may carry
            // the value.
            let answered = super::util::answered_before(flow, index);
            // A payload the trigger carries as one `json` field, which this
            // write does not map: the value may be inside it, where the
            // spec does not look.
            let payload = super::util::source_fields(spec, flow).and_then(|fields| {
                fields.iter().find(|f| {
                    f.ty.as_ref().is_some_and(|t| t.value == crate::model::FieldType::Json)
                        && !target.maps.iter().any(|m| m.src.name.value == f.name.value)
                })
            });
            let help = if let Some(runner) = vendor {
                format!(
                    "`{runner}` runs this flow: ask whether its integration fills `{}` itself (a default, a \
                     choice made in its settings); if it does not, every record is refused",
                    first.name.value
                )
            } else if let Some(call) = answered {
                format!(
                    "if `{}` comes from the answer of the call to `{}` before this write, nothing is missing; if \
                     not, fill it with `map \"SOURCE\" to=\"{}\"`",
                    first.name.value, call.system.name.value, first.name.value
                )
            } else if let Some(payload) = payload {
                format!(
                    "if `{}` is inside `{}` (a `json` payload the spec does not detail), declare it as a field of \
                     the trigger and map it; if not, fill it with `map \"SOURCE\" to=\"{}\"`",
                    first.name.value, payload.name.value, first.name.value
                )
            } else if only_key {
                format!(
                    "this write carries only the key it finds the record by ({}), so the spec does not show what \
                     it writes: if it sends `{}` too (the record re-sent whole, content the language cannot \
                     map), map it; if not, `{}` refuses the record",
                    name_list(keys.iter().copied()),
                    first.name.value,
                    target.system.name.value
                )
            } else if only_record_metadata {
                format!(
                    "if `{}` fills it itself when it stores the record (a stored file's address, a \
                     creation time), mark it `generated=#true`; if not, fill it with `map \"SOURCE\" to=\"{}\"`",
                    target.system.name.value, first.name.value
                )
            } else if only_own_ids {
                format!(
                    "if `{}` assigns it when the upsert creates the record, mark it `generated=#true`; if the \
                     upsert finds the record by it, fill it with `map \"SOURCE\" to=\"{}\"` and say so with \
                     `match \"{}\"`",
                    target.system.name.value, first.name.value, first.name.value
                )
            } else if own_service {
                format!(
                    "fill it with `map \"SOURCE\" to=\"{}\"` or `set \"{}\" VALUE` in this `to`; if the service \
                     fills it itself (an id it assigns, a total it computes), mark it `generated=#true`",
                    first.name.value, first.name.value
                )
            } else {
                format!(
                    "if the integration fills `{0}` where the spec does not show it (a value it computes, looks \
                     up or sets on save), say so with `set \"{0}\" VALUE` or a `map`; if nothing fills it, `{1}` \
                     refuses every record: fill it with `map \"SOURCE\" to=\"{0}\"`",
                    first.name.value, target.system.name.value
                )
            };
            let mut d = d.with_help(help).with_owner(Owner::Flow(id));
            if let Some(run_by) = flow.run_by.as_deref().filter(|_| vendor.is_some()) {
                d = d.with_secondary(run_by.name.loc, "a vendor's integration");
            } else if let Some(wait) = answered.and_then(|t| t.call.as_deref()) {
                d = d.with_secondary(wait.loc, "the flow waits for this answer first");
            } else if let Some(payload) = payload {
                d = d.with_secondary(payload.loc, "a payload it may be inside");
            }
            out.push(d);
        }
    }
}

/// Whether a field is metadata a store usually fills when it stores a
/// record: its address (`url`, `href`, `link`, `self_link` of type `url`),
/// its creation or change time (`created_at`, `CreatedDate`, `updated_at`,
/// `modified`, ... of type `date` or `datetime`) or who made or changed it
/// (`created_by`, `CreatedById`, `LastModifiedById`). The spec may have
/// left it unmarked, or the target may really need it: the finding asks.
fn record_metadata(field: &crate::model::Field) -> bool {
    use crate::model::FieldType;
    // `CreatedDate`, `createdAt` and `created-date` read as `created_date`.
    let mut name = String::with_capacity(field.name.value.len() + 4);
    for (i, c) in field.name.value.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !name.ends_with('_') {
            name.push('_');
        }
        name.push(if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() });
    }
    let name = name.as_str();
    // Who made or last changed the record: the store's own audit fields.
    if matches!(name, "created_by" | "created_by_id" | "last_modified_by" | "last_modified_by_id" | "modified_by") {
        return true;
    }
    match field.ty.as_ref().map(|t| t.value) {
        Some(FieldType::Url) => matches!(name, "url" | "href" | "link" | "self" | "self_link" | "uri"),
        Some(FieldType::Date | FieldType::Datetime) => matches!(
            name,
            "created"
                | "created_at"
                | "created_on"
                | "created_date"
                | "creation_date"
                | "creation_time"
                | "updated"
                | "updated_at"
                | "updated_on"
                | "modified"
                | "modified_at"
                | "modified_on"
                | "modified_date"
                | "date_created"
                | "date_modified"
                | "date_updated"
                | "updated_date"
                | "last_updated"
                | "last_modified"
                | "last_modified_date"
                | "system_modstamp"
                | "timestamp"
                | "inserted_at"
        ),
        _ => false,
    }
}

/// Records by system, and the systems where one of them is a person or a
/// company: those a flow's earlier writes made or found, or those every
/// flow creates or upserts.
#[derive(Default)]
struct Records {
    records: HashSet<(SystemId, String)>,
    parties: HashSet<SystemId>,
}

impl Records {
    fn add(&mut self, system: SystemId, entity: &str) {
        if super::util::is_party(entity) {
            self.parties.insert(system);
        }
        self.records.insert((system, entity.to_ascii_lowercase()));
    }

    /// The records every flow creates or upserts: a reference to one of
    /// them (`RecurringDonationId` beside a flow that brings recurring
    /// donations) is looked up by the write, which the language cannot
    /// state; whether it is there yet is `unordered-events`' question.
    fn brought(spec: &crate::model::Spec) -> Records {
        let mut brought = Records::default();
        for target in spec.flows.iter().flat_map(|f| &f.targets) {
            let (Some(system), Some(entity)) = (target.system.target, target.entity.as_ref()) else { continue };
            if target.action.as_ref().is_some_and(|a| matches!(a.value, Action::Create | Action::Upsert)) {
                brought.add(system, &entity.name.value);
            }
        }
        brought
    }

    /// Whether one of `words` names a record of the target's system, or a
    /// person or company where one is there (people and companies go by
    /// several names), or `joined` does (`recurring_donation` for
    /// `RecurringDonationId`).
    fn named(&self, target: &Target, words: &[String], joined: Option<String>) -> bool {
        let Some(system) = target.system.target else { return false };
        let party = self.parties.contains(&system);
        words.iter().any(|w| self.records.contains(&(system, w.clone())) || (party && super::util::is_party(w)))
            || joined.is_some_and(|joined| self.records.contains(&(system, joined)))
    }

    /// Whether a field names the record an earlier write of the same flow,
    /// into the same system, made or found (a sales order's
    /// `sell_to_customer_no` after the customer's upsert; an invoice's
    /// `customer_id` after the contact's, Salesforce's `AccountId` after the
    /// account's create): the write passes it on, which the language cannot
    /// state.
    fn carries(&self, target: &Target, field: &str) -> bool {
        let words = super::util::field_words(field);
        self.named(target, &words, reference(&words))
    }

    /// Whether a field is a reference to records of the target's system:
    /// its last word an identifier's (`RecurringDonationId`), or its whole
    /// name the records' own (Xero's payment `Invoice`, beside a flow that
    /// brings invoices), unless those are the records the write makes (a
    /// message's `message`, its text).
    fn refers(&self, target: &Target, field: &str) -> bool {
        let words = super::util::field_words(field);
        if let Some(before) = super::util::referenced_words(&words) {
            return self.named(target, before, Some(before.join("_")));
        }
        let name = words.join("_");
        let own = target.entity.as_ref().is_some_and(|e| e.name.value.eq_ignore_ascii_case(&name));
        !own && target.system.target.is_some_and(|system| self.records.contains(&(system, name)))
    }
}

/// The record a field's words refer to, joined with `_`, when its last word
/// is an identifier's (`recurring_donation` for `RecurringDonationId`).
fn reference(words: &[String]) -> Option<String> {
    super::util::referenced_words(words).map(|before| before.join("_"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn maps_and_sets_fill_fields_and_updates_are_partial() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm {
                entity "t" {
                    field "x" type=string required=#true
                    field "y" type=string required=#true
                    field "z" type=string
                }
            }
            event "e" from=a version=1 { field "x" type=string }
            flow "full" { on "e"; to b action=create entity=t { map "x" to="x"; set "y" "const" } }
            flow "update" { on "e"; to b action=update entity=t }
            flow "partial" { on "e"; to b action=upsert entity=t { map "x" to="x" } }
            flow "other" { on "e"; to b action=create entity=t { map "x" to="z" } }
            flow "undescribed" { on "e"; to b action=create entity=t }
        "#;
        let found = test_check(&MISSING_REQUIRED_FIELD, text);
        let messages: Vec<_> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "flow `partial` does `upsert` on `t` without the required field `y`",
                "flow `other` does `create` on `t` without the required fields `x` and `y`",
            ],
            "a write that maps nothing (`undescribed`) does not say what it writes"
        );
    }
}
