//! Credentials written into a spec: every string token is checked, in
//! nodes lowering knows and in those it does not, and each one found is kept
//! for the redactor.

use super::Lowerer;
use crate::diagnostic::{self};
use crate::model::Credential;
use crate::secrets;
use crate::syntax::{Document, Span};

impl Lowerer<'_> {
    /// Reports every string in the document that looks like a credential:
    /// values in nodes lowering knows and in those it does not, and values
    /// commented out with `/-`, which are committed all the same.
    pub(super) fn check_secrets(&mut self, doc: Document<'_>) {
        doc.for_each_string_token(secrets::SHORTEST_SECRET, |text, span| {
            if let Some(found) = secrets::check(text) {
                let why = format!("it holds {} (`{}`)", found.what, found.masked);
                self.report_secret(span, text, found.at, why);
            }
        });
    }

    /// The finding names what was found and a masked prefix, never the
    /// value itself: CI logs are read by many. The value, decoded, is kept
    /// for `redact`, which masks it wherever else it would be printed; the
    /// text as written is no guide to that once escapes are decoded.
    pub(super) fn report_secret(&mut self, span: Span, value: &str, core: std::ops::Range<usize>, why: String) {
        self.credentials.push(Credential { value: value.to_owned(), core, loc: self.loc(span) });
        self.report(
            &diagnostic::SECRET_LITERAL,
            span,
            format!("this value looks like a credential: {why}"),
            "possible credential",
            "keep credentials out of the spec: put the value in an environment variable and write its name, \
                 such as `secret \"HUBSPOT_TOKEN\"`; then rotate this one, since it may already be in version \
                 control"
                .into(),
        );
    }
}
