//! Dates, timestamps and intervals for the PL/pgSQL interpreter, as migrations use them to name
//! partitions: `generate_series(date '2024-01-01', ..., interval '1 month')`,
//! `d + interval '1 month'`, `to_char(d, 'YYYY_MM')`. Values are text in the server's output
//! form (`2024-01-01`, `2024-01-01 00:00:00`, `1 mon`); time zones are not modelled (a value with
//! an offset is not read).

/// A calendar date and a time of day in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    /// Days since 1970-01-01.
    pub days: i64,
    pub secs: i64,
    /// Whether it carries a time (a timestamp) or not (a date).
    pub time: bool,
}

pub use pgvet_syntax::interval::Interval;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)
}

impl Stamp {
    /// `2024-01-31`, `2024-01-31 12:30:00`, `2024-01-31T12:30:00`.
    pub fn parse(s: &str) -> Option<Stamp> {
        let s = s.trim();
        let (date, time) = match s.find([' ', 'T']) {
            Some(i) => (&s[..i], Some(s[i + 1..].trim())),
            None => (s, None),
        };
        let mut parts = date.split('-');
        let y: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let d: i64 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        let secs = match time {
            None => 0,
            Some(t) => {
                let mut hms = t.split(':');
                let h: i64 = hms.next()?.parse().ok()?;
                let mi: i64 = hms.next().unwrap_or("0").parse().ok()?;
                let sec: f64 = hms.next().unwrap_or("0").parse().ok()?;
                h * 3600 + mi * 60 + sec as i64
            }
        };
        Some(Stamp { days: days_from_civil(y, m, d), secs, time: time.is_some() })
    }

    pub fn ymd(&self) -> (i64, i64, i64) {
        civil_from_days(self.days)
    }

    pub fn text(&self) -> String {
        let (y, m, d) = self.ymd();
        if self.time {
            format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", self.secs / 3600, self.secs / 60 % 60, self.secs % 60)
        } else {
            format!("{y:04}-{m:02}-{d:02}")
        }
    }

    /// `date + interval` is a timestamp; month steps keep the day where the month has it.
    pub fn add(&self, i: Interval, sign: i64) -> Stamp {
        let (y, m, d) = self.ymd();
        let total = y * 12 + (m - 1) + sign * i.months;
        let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
        let nd = d.min(days_in_month(ny, nm));
        let mut secs = self.secs + sign * i.secs;
        let mut days = days_from_civil(ny, nm, nd) + sign * i.days + secs.div_euclid(86400);
        secs = secs.rem_euclid(86400);
        if !self.time && i == Interval::default() {
            days = self.days;
        }
        Stamp { days, secs, time: true }
    }

    pub fn to_date(self) -> Stamp {
        Stamp { secs: 0, time: false, ..self }
    }

    /// to_char with the patterns partition names use; None for one it does not know.
    pub fn format(&self, fmt: &str) -> Option<String> {
        let (y, m, d) = self.ymd();
        let mut out = String::new();
        let mut rest = fmt;
        const MONTHS: [&str; 12] =
            ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
        while !rest.is_empty() {
            let table: [(&str, String); 13] = [
                ("YYYY", format!("{y:04}")),
                ("yyyy", format!("{y:04}")),
                ("YY", format!("{:02}", y % 100)),
                ("yy", format!("{:02}", y % 100)),
                ("MM", format!("{m:02}")),
                ("mm", format!("{m:02}")),
                ("DD", format!("{d:02}")),
                ("dd", format!("{d:02}")),
                ("HH24", format!("{:02}", self.secs / 3600)),
                ("MI", format!("{:02}", self.secs / 60 % 60)),
                ("SS", format!("{:02}", self.secs % 60)),
                ("Q", format!("{}", (m - 1) / 3 + 1)),
                ("month", MONTHS[(m - 1) as usize].to_lowercase()),
            ];
            if let Some((p, v)) = table.iter().find(|(p, _)| rest.starts_with(p)) {
                out.push_str(v);
                rest = &rest[p.len()..];
                continue;
            }
            let c = rest.chars().next()?;
            if c.is_ascii_alphabetic() {
                return None;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        Some(out)
    }
}

/// generate_series over timestamps: from `a` to `b` by `step` (at most `limit` values).
pub fn series(a: Stamp, b: Stamp, step: Interval, limit: usize) -> Option<Vec<Stamp>> {
    if step.is_zero() {
        return None;
    }
    let mut out = Vec::new();
    let start = Stamp { time: true, ..a };
    let end = Stamp { time: true, ..b };
    let forward = step.months > 0 || step.days > 0 || step.secs > 0;
    let mut k = 0;
    loop {
        let cur = start.add(step.times(k), 1);
        if (forward && cur > end) || (!forward && cur < end) {
            break;
        }
        out.push(cur);
        k += 1;
        if out.len() > limit {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_intervals_and_partition_names() {
        let d = Stamp::parse("2024-01-31").unwrap();
        assert_eq!(d.add(Interval::parse("1 month").unwrap(), 1).text(), "2024-02-29 00:00:00");
        assert_eq!(d.add(Interval::parse("1 day").unwrap(), 1).to_date().text(), "2024-02-01");
        let s = series(Stamp::parse("2024-01-01").unwrap(), Stamp::parse("2024-03-01").unwrap(), Interval::parse("1 month").unwrap(), 100)
            .unwrap();
        let names: Vec<String> = s.iter().map(|x| x.format("YYYY_MM").unwrap()).collect();
        assert_eq!(names, ["2024_01", "2024_02", "2024_03"]);
        assert_eq!(Interval::parse("1 month").unwrap().times(2).text(), "2 mons");
        assert_eq!(Stamp::parse("2024-12-01").unwrap().add(Interval::parse("1 mon").unwrap(), 1).to_date().text(), "2025-01-01");
        assert!(Stamp::parse("2024-02-30").is_none());
    }
}
