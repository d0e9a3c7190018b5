//! wireplan.
pub(crate) mod syntax;
