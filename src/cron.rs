//! Five-field cron expressions (minute, hour, day of month, month, day of
//! week), known in one place: whether one is valid (`problem`, which
//! lowering reports), the same schedule in the numbers-only form Meltano's
//! schema takes (`normalize`), the cron step that runs at least as often as
//! an interval (`step`), and the longest gap between two runs (`gap`, which
//! `latency-mismatch` and the ETL target's freshness read). Validity is
//! croner's; the rest reads the five fields itself, in time linear in the
//! expression.

use std::cell::RefCell;
use std::collections::HashSet;
use std::time::Duration;

const MONTHS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Why `expr` is not a valid five-field cron expression, or `None` when it
/// is one.
pub(crate) fn problem(expr: &str) -> Option<String> {
    let fields = expr.split_whitespace().count();
    if fields != 5 {
        return Some(format!("a cron expression has five fields, this one has {fields}"));
    }
    thread_local! {
        static VALID: RefCell<Seen> = RefCell::default();
    }
    // A spec repeats a few schedules over thousands of flows; croner's
    // parse of one is most of what a nightly load costs to check.
    if VALID.with_borrow(|seen| seen.contains(expr)) {
        return None;
    }
    let problem = parser().parse(expr).err().map(|e| format!("`{expr}` is not a valid cron expression: {e}"));
    if problem.is_none() {
        VALID.with_borrow_mut(|seen| seen.insert(expr));
    }
    problem
}

/// The expressions a thread has found valid, up to `Seen::MAX` of them, so
/// that a spec of distinct schedules costs what it did without the memory.
#[derive(Default)]
struct Seen(HashSet<Box<str>>);

impl Seen {
    const MAX: usize = 4_096;

    fn contains(&self, expr: &str) -> bool {
        self.0.contains(expr)
    }

    fn insert(&mut self, expr: &str) {
        if self.0.len() >= Self::MAX {
            self.0.clear();
        }
        self.0.insert(expr.into());
    }
}

/// croner's parser for five fields: no seconds, no years.
fn parser() -> croner::parser::CronParser {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build()
}

/// `expr` with month and day names replaced by numbers, if every field is
/// one Meltano's schema accepts: `*`, `n`, `*/n`, `a-b`, `a/n`, or a list
/// of numbers.
pub(crate) fn normalize(expr: &str) -> Option<String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return None;
    }
    let mut out = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let mut text = field.to_ascii_lowercase();
        let names: &[&str] = match i {
            3 => MONTHS,
            4 => DAYS,
            _ => &[],
        };
        for (n, name) in names.iter().enumerate() {
            let number = if i == 3 { n + 1 } else { n };
            text = text.replace(name, &number.to_string());
        }
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        let ok = text == "*"
            || digits(&text)
            || text.split(',').count() > 1 && text.split(',').all(digits)
            || text.split_once(['/', '-']).is_some_and(|(a, b)| (a == "*" || digits(a)) && digits(b));
        if !ok {
            return None;
        }
        out.push(text);
    }
    let cron = out.join(" ");
    problem(&cron).is_none().then_some(cron)
}

/// The cron that runs every `every`, rounded down to a step cron has
/// (`*/n` minutes dividing an hour, `*/n` hours dividing a day, daily,
/// weekly), and the period it runs at: never less often than `every`.
pub(crate) fn step(every: Duration) -> (String, Duration) {
    let minutes = every.as_secs().div_ceil(60).max(1);
    let (cron, period) = if minutes < 60 {
        let step = (1..=minutes).rev().find(|m| 60 % m == 0).unwrap_or(1);
        (if step == 1 { "* * * * *".to_owned() } else { format!("*/{step} * * * *") }, step * 60)
    } else if minutes < 1_440 {
        let hours = minutes / 60;
        let step = (1..=hours).rev().find(|h| 24 % h == 0).unwrap_or(1);
        (if step == 1 { "0 * * * *".to_owned() } else { format!("0 */{step} * * *") }, step * 3_600)
    } else if minutes < 7 * 1_440 {
        ("0 0 * * *".to_owned(), 86_400)
    } else {
        ("0 0 * * 0".to_owned(), 7 * 86_400)
    };
    (cron, Duration::from_secs(period))
}

/// An estimate of the longest gap between two runs of `expr`: the longest
/// gap between runs within a day, or from the last run of a day to the
/// first run of the next active day, and across inactive months. Months
/// count as 30 days and day-of-month cycles as 31. `None` for syntax this
/// estimate does not understand (`L`, `W`, `#`).
pub(crate) fn gap(expr: &str) -> Option<Duration> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields[..] else { return None };
    let minutes = field(minute, 0, 59, &[], 0)?;
    let hours = field(hour, 0, 23, &[], 0)?;
    let doms = field(dom, 1, 31, &[], 1)?;
    let months = field(month, 1, 12, MONTHS, 1)?;
    let mut dows = field(dow, 0, 7, DAYS, 0)?;
    if dows[7] {
        dows[0] = true;
    }
    dows.truncate(7);
    let times: Vec<u64> = (0..24u64)
        .filter(|h| hours[*h as usize])
        .flat_map(|h| (0..60u64).filter(|m| minutes[*m as usize]).map(move |m| h * 60 + m))
        .collect();
    let (first, last) = (*times.first()?, *times.last()?);
    let intra = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    let all = |v: &[bool], from: usize| v[from..].iter().all(|b| *b);
    let (dom_all, dow_all) = (all(&doms, 1), all(&dows, 0));
    let day_gap = match (dom_all, dow_all) {
        (true, true) => 1,
        (false, true) => cycle_gap(&doms[1..])?,
        (true, false) => cycle_gap(&dows)?,
        // Either matches (cron's rule), so the gap is at most the smaller.
        (false, false) => cycle_gap(&doms[1..])?.min(cycle_gap(&dows)?),
    };
    let wrap = first + day_gap * 1440 - last;
    let mut gap = intra.max(wrap);
    if !all(&months, 1) {
        let month_gap = cycle_gap(&months[1..])?;
        if month_gap > 1 {
            gap = gap.max((month_gap - 1) * 30 * 1440 + wrap);
        }
    }
    Some(Duration::from_secs(gap * 60))
}

/// The longest distance between consecutive set positions of a cycle.
fn cycle_gap(set: &[bool]) -> Option<u64> {
    let on: Vec<u64> = set.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i as u64).collect();
    let (first, last) = (*on.first()?, *on.last()?);
    let inner = on.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    Some(inner.max(first + set.len() as u64 - last))
}

/// The values one cron field allows, as flags indexed by value.
fn field(text: &str, min: usize, max: usize, names: &[&str], name_base: usize) -> Option<Vec<bool>> {
    let mut set = vec![false; max + 1];
    let value = |s: &str| -> Option<usize> {
        let lower = s.to_ascii_lowercase();
        names
            .iter()
            .position(|n| *n == lower)
            .map(|i| i + name_base)
            .or_else(|| s.parse().ok())
            .filter(|v| (min..=max).contains(v))
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<usize>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo > hi {
            return None;
        }
        for v in (lo..=hi).step_by(step) {
            set[v] = true;
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(expr: &str) -> Option<u64> {
        gap(expr).map(|d| d.as_secs() / 60)
    }

    fn stepped(every: u64) -> (String, u64) {
        let (cron, period) = step(Duration::from_secs(every));
        (cron, period.as_secs())
    }

    #[test]
    fn problems_are_the_field_count_or_crons_own() {
        assert_eq!(problem("0 2 * * *"), None);
        assert_eq!(problem("0 2 * *").as_deref(), Some("a cron expression has five fields, this one has 4"));
        assert!(problem("0 25 * * *").is_some_and(|p| p.starts_with("`0 25 * * *` is not a valid cron expression")));
        assert!(problem("0 0 2 * * *").is_some());
    }

    #[test]
    fn gaps_are_estimated() {
        assert_eq!(minutes("*/15 * * * *"), Some(15));
        assert_eq!(minutes("0 2 * * *"), Some(1440));
        assert_eq!(minutes("0,30 9 * * *"), Some(1410));
        // Hourly in office hours on weekdays: Friday 17:00 to Monday 09:00.
        assert_eq!(minutes("0 9-17 * * 1-5"), Some(64 * 60));
        assert_eq!(minutes("0 9-17 * * MON-FRI"), Some(64 * 60));
        assert_eq!(minutes("0 0 1 * *"), Some(31 * 1440));
        assert_eq!(minutes("0 0 * * 0"), Some(7 * 1440));
        assert_eq!(minutes("0 0 * * 7"), Some(7 * 1440));
        // Quarterly: three months apart, roughly.
        assert_eq!(minutes("0 0 1 1,4,7,10 *"), Some(2 * 30 * 1440 + 31 * 1440));
        assert_eq!(minutes("0 0 L * *"), None);
        assert_eq!(minutes("0 0 * *"), None);
    }

    #[test]
    fn every_becomes_a_step_never_less_often() {
        assert_eq!(stepped(60), ("* * * * *".into(), 60));
        assert_eq!(stepped(30), ("* * * * *".into(), 60));
        assert_eq!(stepped(300), ("*/5 * * * *".into(), 300));
        assert_eq!(stepped(900), ("*/15 * * * *".into(), 900));
        assert_eq!(stepped(45 * 60), ("*/30 * * * *".into(), 1800));
        assert_eq!(stepped(3_600), ("0 * * * *".into(), 3_600));
        assert_eq!(stepped(5 * 3_600), ("0 */4 * * *".into(), 4 * 3_600));
        assert_eq!(stepped(6 * 3_600), ("0 */6 * * *".into(), 6 * 3_600));
        assert_eq!(stepped(86_400), ("0 0 * * *".into(), 86_400));
        assert_eq!(stepped(2 * 86_400), ("0 0 * * *".into(), 86_400));
        assert_eq!(stepped(7 * 86_400), ("0 0 * * 0".into(), 7 * 86_400));
    }

    #[test]
    fn names_become_numbers_and_unsupported_syntax_is_refused() {
        assert_eq!(normalize("0 9-17 * * MON-FRI").as_deref(), Some("0 9-17 * * 1-5"));
        assert_eq!(normalize("0 2 * JAN,JUL *").as_deref(), Some("0 2 * 1,7 *"));
        assert_eq!(normalize("0 2 * * *").as_deref(), Some("0 2 * * *"));
        assert_eq!(normalize("0 2 L * *"), None);
        assert_eq!(normalize("0 2 * *"), None);
        assert_eq!(normalize("0 9-17/2 * * *"), None);
        assert_eq!(normalize("99 2 * * *"), None);
    }
}
