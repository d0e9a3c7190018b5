//! The one registry of the environment variables a backend's output reads:
//! every backend claims each variable it derives (`Env::claim`) with what it
//! is for, and the registry keeps the list the generated README and
//! `settings.js` show. A variable wanted for two roles is an error: one
//! system whose `secret` names the variable another role of it derives
//! (`CRM_URL` as a token), or a system variable that is also a fixed one of
//! the backend (`WIREPLAN_AMQP_HOST`). Two systems sharing one variable are
//! the shared name check's (`distinct`) to report, at both systems, so
//! `finish` claims every variable for its system there.
//!
//! Variables named after a system start with its base (`names::env_bases`:
//! `[A-Z0-9_]`, distinct per system), so `base` is decided here once for
//! every backend.

use std::collections::{BTreeMap, BTreeSet};

use crate::emit::Emitted;
use crate::emit::distinct::{Case, Claims};
use crate::emit::names;
use crate::model::{Spec, SystemId};

/// The environment variables of one build, each with what it is for.
pub(crate) struct Env<'s> {
    spec: &'s Spec,
    /// Each system's base, by system name.
    bases: BTreeMap<String, String>,
    used: BTreeMap<String, String>,
    /// Which system each variable was claimed for (the same one may be
    /// claimed many times).
    owners: BTreeSet<(String, SystemId)>,
    first_owner: BTreeMap<String, SystemId>,
    errors: Vec<String>,
}

impl<'s> Env<'s> {
    pub(crate) fn new(spec: &'s Spec) -> Env<'s> {
        Env {
            spec,
            bases: names::env_bases(spec.systems.iter().map(|s| s.name.value.as_str())),
            used: BTreeMap::new(),
            owners: BTreeSet::new(),
            first_owner: BTreeMap::new(),
            errors: Vec::new(),
        }
    }

    /// The name of the system `id`.
    pub(crate) fn system(&self, id: SystemId) -> &'s str {
        &self.spec.system(id).name.value
    }

    /// The start of every variable derived for the system `id`.
    pub(crate) fn base(&self, id: SystemId) -> String {
        self.bases.get(self.system(id)).cloned().unwrap_or_else(|| "S".into())
    }

    /// The system's `secret`, when it is a plain environment-variable name
    /// (the variable that holds the credential).
    pub(crate) fn secret(&self, id: SystemId) -> Option<&'s str> {
        let secret = self.spec.system(id).secret.as_ref()?;
        names::is_env_name(&secret.value).then_some(secret.value.as_str())
    }

    /// `name` is `what`; `owner` is the system it is derived for, `None`
    /// for a variable of the backend itself. One system (or the backend)
    /// wanting a variable for two roles is an error here; two systems
    /// sharing one are `finish`'s to report.
    pub(crate) fn claim(&mut self, owner: Option<SystemId>, name: String, what: String) -> String {
        if let Some(owner) = owner {
            self.first_owner.entry(name.clone()).or_insert(owner);
            self.owners.insert((name.clone(), owner));
        }
        match self.used.get(&name) {
            Some(other) if *other != what && !self.shared(&name, owner) => self.errors.push(format!(
                "the environment variable {name} would be both {other} and {what}; rename a system or its `secret`"
            )),
            Some(_) => {}
            None => {
                self.used.insert(name.clone(), what);
            }
        }
        name
    }

    /// Whether `name` is claimed by a system other than `owner` too.
    fn shared(&self, name: &str, owner: Option<SystemId>) -> bool {
        owner.is_some() && self.first_owner.get(name).is_some_and(|o| Some(*o) != owner)
    }

    /// Claims every variable for its system in `claims` (the shared name
    /// check), moves the errors into `emitted`, and returns the variables
    /// with what each is for, sorted by name.
    pub(crate) fn finish(self, claims: &mut Claims, emitted: &mut Emitted) -> BTreeMap<String, String> {
        for (name, owner) in &self.owners {
            claims.claim("environment variable", Case::Sensitive, name, "system", &self.spec.system(*owner).name);
        }
        emitted.errors.extend(self.errors);
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_role_per_variable_and_shared_ones_go_to_the_name_check() {
        let spec = crate::lint::test_spec(
            "system \"crm\" kind=crm { secret \"CRM_URL\"; }\nsystem \"CRM\" kind=crm\nsystem \"shop\" kind=ecommerce\n",
        );
        let (crm, twin, shop) = (SystemId(0), SystemId(1), SystemId(2));
        let mut env = Env::new(&spec);
        assert_eq!(env.secret(crm), Some("CRM_URL"));
        assert_eq!(env.secret(shop), None);
        assert_eq!(env.base(shop), "SHOP");
        assert_ne!(env.base(crm), env.base(twin));
        env.claim(Some(crm), "CRM_URL".into(), "the base URL of crm".into());
        // The same role again is no clash.
        env.claim(Some(crm), "CRM_URL".into(), "the base URL of crm".into());
        // Its secret names the same variable: one system, two roles.
        env.claim(Some(crm), "CRM_URL".into(), "the token sent to crm".into());
        // Another system claiming it too is the shared name check's.
        env.claim(Some(twin), "CRM_URL".into(), "the base URL of CRM".into());
        // A variable of the backend is no system's; two roles are an error.
        env.claim(None, "WIREPLAN_X".into(), "the backend's".into());
        env.claim(None, "WIREPLAN_X".into(), "something else".into());
        let mut claims = Claims::default();
        let mut emitted = Emitted::default();
        let vars = env.finish(&mut claims, &mut emitted);
        assert_eq!(emitted.errors.len(), 2, "{:?}", emitted.errors);
        assert!(emitted.errors[0].contains("CRM_URL would be both the base URL of crm and the token"));
        assert!(emitted.errors[1].contains("WIREPLAN_X would be both"));
        assert_eq!(vars["WIREPLAN_X"], "the backend's");
        assert_eq!(vars["CRM_URL"], "the base URL of crm");
        let clashes = claims.check();
        assert_eq!(clashes.len(), 2, "{clashes:#?}");
    }
}
