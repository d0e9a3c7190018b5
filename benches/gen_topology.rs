//! A generator of large, adversarial specs for the topology checks: many
//! systems, events and flows, wired at random (with a fixed seed) so that
//! the trigger graph has a giant strongly connected component, long chains
//! of non-idempotent writes, entity-less events and writes that fan out to
//! every consumer of a system, hubs, brokers, polls and loop guards.
//!
//! Plain Rust with no dependencies, to be `include!`d or `mod`-ed from a
//! bench: `loopy_spec(100_000)` gives a spec of 100k flows.

/// A spec of `flows` flows full of loops and duplicate paths.
pub fn loopy_spec(flows: usize) -> String {
    use std::fmt::Write;

    // A fixed-seed linear congruential generator: the same spec every run.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| -> usize {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % n.max(1)
    };
    let systems = (flows / 20).max(8);
    let entities = 3;
    let mut out = String::with_capacity(flows * 160);
    out.push_str("stack \"loopy\" {\n    horizon months=24\n    volume-growth 3.0\n}\n\n");
    for s in 0..systems {
        let kind = ["crm", "email", "ecommerce", "support", "erp", "marketing"][s % 6];
        let _ = write!(out, "system \"s{s}\" kind={kind} {{\n    api rest version=\"v1\"\n");
        if s % 3 == 0 {
            out.push_str("    webhooks #true\n");
        }
        if s % 4 == 0 {
            out.push_str("    rate-limit 600 per=minute\n    criticality high\n");
        }
        out.push_str("}\n");
    }
    out.push_str("system \"hub\" kind=hub\nsystem \"bus\" kind=broker { ha #true; }\n\n");
    for s in 0..systems {
        for k in 0..entities {
            let _ = writeln!(
                out,
                "event \"s{s}.e{k}\" from=s{s} entity=ent{k} version=1 {{ key \"id\"; volume per-day=1000 peak-per-second=2; }}"
            );
        }
        let _ = writeln!(out, "event \"s{s}.any\" from=s{s} version=1");
    }
    out.push('\n');
    for i in 0..flows {
        let (s, k) = (next(systems), next(entities));
        let mut t = next(systems);
        if t == s {
            t = (t + 1) % systems;
        }
        let _ = writeln!(out, "flow \"f{i}\" {{");
        match i % 10 {
            0 => {
                let _ = writeln!(out, "    poll s{s} entity=ent{k} every=\"15m\"");
            }
            1 => {
                let _ = writeln!(out, "    on \"s{s}.any\"");
            }
            _ => {
                let _ = writeln!(out, "    on \"s{s}.e{k}\"");
            }
        }
        match i % 5 {
            0 => out.push_str("    via hub\n"),
            1 => out.push_str("    via bus\n"),
            _ => {}
        }
        let action = ["create", "upsert", "update", "send", "append", "create"][i % 6];
        if i % 20 == 7 {
            // A write that names no entity triggers everything of the system.
            let _ = writeln!(out, "    to s{t} action={action}");
        } else {
            let _ = writeln!(out, "    to s{t} action={action} entity=ent{}", next(entities));
        }
        if i % 2 == 0 {
            out.push_str("    retry attempts=3\n    dead-letter\n");
        }
        if i % 13 == 0 {
            out.push_str("    loop-guard\n");
        }
        if i % 7 != 0 {
            out.push_str("    log\n");
        }
        if i % 11 == 0 {
            out.push_str("    latency max=\"5m\"\n");
        }
        out.push_str("}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_deterministic_and_sized() {
        let a = super::loopy_spec(100);
        assert_eq!(a, super::loopy_spec(100));
        assert_eq!(a.matches("\nflow ").count(), 100);
    }
}
