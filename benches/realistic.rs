//! The realistic spec the throughput and build benchmarks share: ten flows
//! per system, every system with an entity and two events, flows mixing
//! direct and hub transports, maps and retries. Included with `#[path]`.

use std::fmt::Write as _;

/// A realistic spec: ten flows per system, every system with an entity and
/// two events, flows mixing direct and hub transports, maps and retries.
pub(crate) fn realistic_spec(flows: usize) -> String {
    let systems = (flows / 10).max(4);
    let kinds = ["crm", "email", "ecommerce", "accounting", "support", "marketing", "payments", "erp"];
    let mut s = String::with_capacity(flows * 300);
    s.push_str("stack \"bench\" {\n    horizon months=18\n    volume-growth 2.0\n}\n\nsystem \"hub\" kind=hub { ha #true }\n\n");
    for i in 0..systems {
        let _ = write!(
            s,
            "system \"sys-{i}\" kind={} {{\n    api rest version=\"v{}\"\n    webhooks #true\n    rate-limit 100 per=second\n    secret \"SYS_{i}_TOKEN\"\n    entity \"record\" {{\n        field \"id\" type=string required=#true\n        field \"email\" type=email\n        field \"amount\" type=money\n    }}\n}}\n\n",
            kinds[i % kinds.len()],
            i % 5 + 1
        );
        for e in 0..2 {
            let _ = write!(
                s,
                "event \"sys-{i}.changed-{e}\" from=\"sys-{i}\" entity=record version=1 {{\n    key \"id\"\n    field \"id\" type=string required=#true\n    field \"email\" type=email\n    field \"amount\" type=money\n    volume per-day=100 peak-per-second=1\n}}\n\n"
            );
        }
    }
    for f in 0..flows {
        let from = f % systems;
        let to = (f * 7 + 3) % systems;
        let via = if f % 3 == 0 { "    via hub\n" } else { "" };
        let _ = write!(
            s,
            "// flow {f}\nflow \"flow-{f}\" {{\n    on \"sys-{from}.changed-{}\"\n{via}    to \"sys-{to}\" action=upsert entity=record {{\n        map \"id\" to=\"id\"\n        map \"amount\" to=\"amount\"\n    }}\n    retry attempts=3 backoff=exponential initial=\"1s\" max=\"5m\"\n    dead-letter\n    log\n}}\n\n",
            f % 2
        );
    }
    s
}
