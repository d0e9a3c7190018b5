//! `--ignore FILE`: the differences a team knows and accepts, kept in a
//! file it commits. One pattern a line, `KIND NAME`: the kind as the report
//! names it (`queue`, `binding`, `policy`, `node`, `model`; `*` for any)
//! and a glob over the rest of the line, the name (`legacy-*`, `shopify
//! -> crm *` for a binding); `#` starts a comment. A
//! line that is neither is an error with its line number, so a typo never
//! hides everything.

/// The accepted differences.
#[derive(Debug, Default)]
pub(crate) struct Ignore {
    patterns: Vec<(String, glob::Pattern)>,
}

impl Ignore {
    /// Reads the file's text; an error names the first bad line.
    pub(crate) fn parse(text: &str) -> Result<Ignore, String> {
        let mut patterns = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            // The name is the rest of the line: a binding's has spaces.
            let Some((kind, name)) = line.split_once(char::is_whitespace).map(|(k, n)| (k, n.trim())) else {
                return Err(format!("line {}: expected `KIND NAME-PATTERN`, such as `queue legacy-*`", i + 1));
            };
            if !kind.chars().all(|c| c.is_ascii_lowercase() || c == '-') && kind != "*" {
                return Err(format!(
                    "line {}: `{kind}` is not a kind (queue, binding, policy, node, model, or *)",
                    i + 1
                ));
            }
            let pattern = glob::Pattern::new(name).map_err(|e| format!("line {}: {e}", i + 1))?;
            patterns.push((kind.to_owned(), pattern));
        }
        Ok(Ignore { patterns })
    }

    /// Whether a finding on `kind` `name` is accepted.
    pub(crate) fn hides(&self, kind: &str, name: &str) -> bool {
        self.patterns.iter().any(|(k, p)| (k == "*" || k == kind) && p.matches(name))
    }
}

#[cfg(test)]
mod tests {
    use super::Ignore;

    #[test]
    fn patterns_and_errors() {
        let ignore = Ignore::parse("queue legacy-*   # old ones\n\n* tmp.?\n").unwrap();
        assert!(ignore.hides("queue", "legacy-orders"));
        assert!(!ignore.hides("exchange", "legacy-orders"));
        assert!(ignore.hides("node", "tmp.1"));
        assert!(!ignore.hides("node", "tmp.12"));
        assert!(Ignore::parse("queue").unwrap_err().starts_with("line 1"));
        assert!(Ignore::parse("\nQueue x").unwrap_err().starts_with("line 2"));
        assert!(Ignore::parse("queue [").is_err());
        let spaced = Ignore::parse("binding shopify -> crm *").unwrap();
        assert!(spaced.hides("binding", "shopify -> crm order.created"));
    }
}
