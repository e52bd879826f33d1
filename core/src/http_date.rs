//! HTTP dates (a response's `Date` header), read exactly as the `httpdate` crate reads them (it
//! costs the web build about 4 KB): IMF-fixdate, RFC 850 or asctime, ASCII only, surrounding
//! whitespace trimmed, a year from 1970 to 9999, a real calendar day and the weekday of that day.
//! Tests compare it with that crate. The calendar arithmetic is the SigV4 crate's.

use appsync_sigv4::{days_from_civil, days_in_month};

/// Milliseconds since the Unix epoch, or `None` where `httpdate::parse_http_date` fails.
pub(crate) fn parse_ms(text: &str) -> Option<i64> {
    if !text.is_ascii() {
        return None;
    }
    let s = text.trim().as_bytes();
    let d = imf_fixdate(s)
        .or_else(|| rfc850(s))
        .or_else(|| asctime(s))?;
    let valid = d.sec < 60
        && d.min < 60
        && d.hour < 24
        && (1..=12).contains(&d.mon)
        && (1..=days_in_month(d.year, d.mon)).contains(&d.day)
        && (1970..=9999).contains(&d.year);
    let days = days_from_civil(d.year, d.mon, d.day);
    // 1970-01-01 was a Thursday (4, counting Monday as 1).
    (valid && (days + 3).rem_euclid(7) + 1 == d.wday)
        .then(|| (days * 86_400 + d.hour * 3600 + d.min * 60 + d.sec) * 1000)
}

struct Date {
    year: i64,
    mon: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    /// Monday is 1, Sunday 7.
    wday: i64,
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const DAYS: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];

/// 1 to 12 for `Jan` to `Dec`.
fn month(name: &[u8]) -> Option<i64> {
    MONTHS.iter().position(|m| *m == name).map(|i| i as i64 + 1)
}

/// 1 to 7 for the weekday whose name (`Monday`) or abbreviation (`Mon`) is `name`.
fn weekday(name: &[u8], full: bool) -> Option<i64> {
    DAYS.iter()
        .position(|d| if full { *d == name } else { &d[..3] == name })
        .map(|i| i as i64 + 1)
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(s: &[u8]) -> Option<Date> {
    if s.len() != 29 || &s[25..] != b" GMT" || s[16] != b' ' || s[19] != b':' || s[22] != b':' {
        return None;
    }
    if &s[3..5] != b", " || s[7] != b' ' || s[11] != b' ' {
        return None;
    }
    Some(Date {
        sec: digits(&s[23..25])?,
        min: digits(&s[20..22])?,
        hour: digits(&s[17..19])?,
        day: digits(&s[5..7])?,
        mon: month(&s[8..11])?,
        year: digits(&s[12..16])?,
        wday: weekday(&s[..3], false)?,
    })
}

/// `Sunday, 06-Nov-94 08:49:37 GMT` (years 70 to 99 are 19xx, 00 to 69 are 20xx).
fn rfc850(s: &[u8]) -> Option<Date> {
    if s.len() < 23 {
        return None;
    }
    let comma = s.iter().position(|c| *c == b',')?;
    let wday = weekday(&s[..comma], true)?;
    let s = s[comma..].strip_prefix(b", ")?;
    if s.len() != 22 || s[12] != b':' || s[15] != b':' || &s[18..22] != b" GMT" {
        return None;
    }
    // (httpdate does not look at the separator between the year and the hour.)
    if s[2] != b'-' || s[6] != b'-' {
        return None;
    }
    let year = digits(&s[7..9])?;
    Some(Date {
        sec: digits(&s[16..18])?,
        min: digits(&s[13..15])?,
        hour: digits(&s[10..12])?,
        day: digits(&s[0..2])?,
        mon: month(&s[3..6])?,
        year: if year < 70 { year + 2000 } else { year + 1900 },
        wday,
    })
}

/// `Sun Nov  6 08:49:37 1994`
fn asctime(s: &[u8]) -> Option<Date> {
    if s.len() != 24 || s[10] != b' ' || s[13] != b':' || s[16] != b':' || s[19] != b' ' {
        return None;
    }
    if s[3] != b' ' || s[7] != b' ' {
        return None;
    }
    Some(Date {
        sec: digits(&s[17..19])?,
        min: digits(&s[14..16])?,
        hour: digits(&s[11..13])?,
        day: digits(if s[8] == b' ' { &s[9..10] } else { &s[8..10] })?,
        mon: month(&s[4..7])?,
        year: digits(&s[20..24])?,
        wday: weekday(&s[..3], false)?,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_ms;
    use std::time::UNIX_EPOCH;

    fn reference(text: &str) -> Option<i64> {
        let time = httpdate::parse_http_date(text).ok()?;
        Some(time.duration_since(UNIX_EPOCH).ok()?.as_millis() as i64)
    }

    #[test]
    fn reads_what_httpdate_reads() {
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT\t",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Tue, 29 Feb 2000 12:00:00 GMT",
            "Mon, 29 Feb 2100 12:00:00 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:60 GMT",
            "Sun, 06 Xyz 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun,-06 Nov 1994 08:49:37 GMT",
            "Thursday, 01-Jan-70 00:00:00 GMT",
            "Tuesday, 01-Jan-69 00:00:00 GMT",
            "Sunday, 6-Nov-94 08:49:37 GMT",
            "Sunday, 06-Nov-94x08:49:37 GMT",
            "Sun Nov 06 08:49:37 1994",
            "Sun Nov  0 08:49:37 1994",
            "Sun Nov +6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 GMT é",
            "",
            "garbage",
        ] {
            assert_eq!(parse_ms(text), reference(text), "{text:?}");
        }
    }

    #[test]
    fn agrees_with_httpdate_on_every_day_and_shape() {
        let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let long = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let mut checked = 0;
        for year in [1970, 1999, 2000, 2023, 2024, 2069, 2100, 9999] {
            for (m, month) in months.iter().enumerate() {
                for day in [0, 1, 9, 28, 29, 30, 31, 32] {
                    for w in 0..7 {
                        let time = format!("{:02}:{:02}:{:02}", (day * 5) % 25, m * 5, day);
                        let texts = [
                            format!("{}, {day:02} {month} {year} {time} GMT", weekdays[w]),
                            format!("{}, {day:02}-{month}-{:02} {time} GMT", long[w], year % 100),
                            format!("{} {month} {day:>2} {time} {year}", weekdays[w]),
                        ];
                        for text in texts {
                            assert_eq!(parse_ms(&text), reference(&text), "{text:?}");
                            checked += usize::from(reference(&text).is_some());
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "only {checked} valid dates were compared");
    }
}
