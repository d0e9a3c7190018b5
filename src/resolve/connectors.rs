//! `connector=ID` to its connector catalog entry (`crate::catalog::active`):
//! a system that names a known entry takes that entry's documented facts
//! where the spec is silent (`System::webhooks_fact`, `rate_limit_fact`);
//! an unknown name is an `unresolved-reference` at the name, with the
//! closest id. A catalog is tens of entries, so each lookup is a binary
//! search and a suggestion compares a bounded list.

use crate::diagnostic::{Diagnostic, UNRESOLVED_REFERENCE};
use crate::model::Spec;
use crate::suggest;

pub(super) fn resolve(spec: &mut Spec, out: &mut Vec<Diagnostic>) {
    let catalog = crate::catalog::active();
    for system in &mut spec.systems {
        let Some(connector) = system.connector.as_deref_mut() else { continue };
        let id = connector.id.value.as_str();
        connector.entry = catalog.ok().and_then(|c| c.get(id));
        if connector.entry.is_some() {
            continue;
        }
        let help = match &catalog {
            Ok(catalog) => {
                let ids = catalog.entries().iter().map(|e| e.id.as_str());
                match suggest::closest(id, ids) {
                    Some(close) => format!("did you mean `connector={close}`? `wireplan catalog` lists the systems"),
                    None => "`wireplan catalog` lists the systems; add yours to the project's catalog file, or \
                             remove `connector=` and describe the system in the spec"
                        .to_owned(),
                }
            }
            Err(why) => format!("the connector catalog cannot be read: {why}"),
        };
        out.push(
            Diagnostic::new(&UNRESOLVED_REFERENCE, connector.id.loc, format!("no connector named `{id}`"))
                .with_label("not in the connector catalog")
                .with_help(help),
        );
    }
}
