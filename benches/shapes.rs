//! The hostile shapes of spec that `hostile.rs` (check and build) and
//! `build.rs` (build) measure peak memory on. Included with `#[path]`.

use std::fmt::Write as _;

/// A shape: its name and its files (the first is the entry).
pub(crate) struct Shape {
    pub(crate) name: &'static str,
    pub(crate) what: &'static str,
    pub(crate) files: Vec<(String, String)>,
}

/// A shop and an accounting tool, and one flow that writes to the tool
/// 20,000 times (about 480 KB).
fn fan_out() -> String {
    let mut s = String::from(
        "system \"shop\" kind=ecommerce {\n    webhooks #true\n    entity \"order\" {\n        field \"id\" \
         type=string\n    }\n}\nsystem \"qb\" kind=accounting {\n    webhooks #true\n    entity \"invoice\" {\n        \
         field \"id\" type=string\n    }\n}\nevent \"order.paid\" from=shop entity=order version=1 {\n    \
         field \"id\" type=string\n}\nflow \"fan\" {\n    on \"order.paid\"\n",
    );
    for _ in 0..20_000 {
        s.push_str("    to qb action=create\n");
    }
    s.push_str("}\n");
    s
}

pub(crate) fn shapes() -> Vec<Shape> {
    let entry = |text: String| vec![("wireplan.kdl".to_owned(), text)];
    let mut long_line = String::new();
    for i in 0..200_000 {
        let _ = write!(long_line, "system \"s{i}\" kind=crm; ");
    }
    let mut includes = vec![("wireplan.kdl".to_owned(), "include \"parts/**/*.kdl\"\n".to_owned())];
    for i in 0..2_000 {
        includes.push((format!("parts/p{}/f{i}.kdl", i % 40), format!("system \"s{i}\" kind=crm\n")));
    }
    vec![
        Shape { name: "fan", what: "one flow, 20,000 targets", files: entry(fan_out()) },
        Shape { name: "line", what: "a 7.8 MB line of `}`", files: entry("}".repeat(7_800_000)) },
        Shape { name: "one-rule", what: "500,000 unknown nodes", files: entry("bogus\n".repeat(500_000)) },
        Shape { name: "deep", what: "100,000 nested blocks", files: entry("a {\n".repeat(100_000)) },
        Shape { name: "long-line", what: "200,000 systems on one line", files: entry(long_line) },
        Shape { name: "includes", what: "2,000 included files", files: includes },
    ]
}
