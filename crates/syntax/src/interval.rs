//! PostgreSQL's interval values as migrations write them (`'3 minutes'`, `'1 mon 2 days'`,
//! `'1 week'`) and as the server prints them back (`00:03:00`, `1 mon 2 days`, `7 days`).

/// months, days, seconds (PostgreSQL's interval fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interval {
    pub months: i64,
    pub days: i64,
    pub secs: i64,
}

impl Interval {
    /// `1 month`, `3 days`, `1 mon 2 days`, `2 hours`, `1 week`, `1 year`, `@ 1 mon`.
    pub fn parse(s: &str) -> Option<Interval> {
        let words: Vec<&str> = s.split_whitespace().filter(|w| *w != "@").collect();
        if words.is_empty() || !words.len().is_multiple_of(2) {
            return None;
        }
        let mut i = Interval::default();
        for pair in words.chunks(2) {
            let n: i64 = pair[0].parse().ok()?;
            let unit = pair[1].trim_end_matches('s').to_lowercase();
            match unit.as_str() {
                "year" | "yr" | "y" => i.months += 12 * n,
                "month" | "mon" => i.months += n,
                "week" | "w" => i.days += 7 * n,
                "day" | "d" => i.days += n,
                "hour" | "hr" | "h" => i.secs += 3600 * n,
                "minute" | "min" | "m" => i.secs += 60 * n,
                "second" | "sec" => i.secs += n,
                _ => return None,
            }
        }
        Some(i)
    }

    pub fn times(self, k: i64) -> Interval {
        Interval { months: self.months * k, days: self.days * k, secs: self.secs * k }
    }

    pub fn is_zero(&self) -> bool {
        *self == Interval::default()
    }

    /// As the server prints it (`1 mon`, `2 mons 3 days`).
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        let (y, mo) = (self.months / 12, self.months % 12);
        let plural = |n: i64, w: &str| format!("{n} {w}{}", if n.abs() == 1 { "" } else { "s" });
        if y != 0 {
            parts.push(plural(y, "year"));
        }
        if mo != 0 {
            parts.push(plural(mo, "mon"));
        }
        if self.days != 0 {
            parts.push(plural(self.days, "day"));
        }
        if self.secs != 0 || parts.is_empty() {
            parts.push(format!("{:02}:{:02}:{:02}", self.secs / 3600, self.secs / 60 % 60, self.secs % 60));
        }
        parts.join(" ")
    }
}

/// An interval literal as interval_out prints it, when pgvet reads it (simple unit lists with
/// non-negative amounts); None otherwise.
pub fn interval_text(literal: &str) -> Option<String> {
    let i = Interval::parse(literal)?;
    (i.months >= 0 && i.days >= 0 && i.secs >= 0).then(|| i.text())
}

#[cfg(test)]
mod tests {
    #[test]
    fn intervals_read_as_the_server_prints_them() {
        for (lit, want) in [
            ("3 minutes", Some("00:03:00")),
            ("1 day", Some("1 day")),
            ("30 days", Some("30 days")),
            ("1 week", Some("7 days")),
            ("1 year 2 months", Some("1 year 2 mons")),
            ("2 hours", Some("02:00:00")),
            ("1 mon 2 days", Some("1 mon 2 days")),
            ("00:03:00", None),
            ("-1 day", None),
        ] {
            assert_eq!(super::interval_text(lit).as_deref(), want, "{lit}");
        }
    }
}
